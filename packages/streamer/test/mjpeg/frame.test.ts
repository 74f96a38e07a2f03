import { describe, expect, it } from 'vitest';
import { PREAMBLE, renderPart } from '../../src/mjpeg/frame.js';
import { createMultipartParser, type Part } from '../helpers/mjpeg.js';

const jpeg = Buffer.from([0xff, 0xd8, 0x01, 0x02, 0x03, 0xff, 0xd9]);

describe('renderPart', () => {
  it('writes headers, the body and the next boundary, and parses back', () => {
    const { part, jpeg: view } = renderPart({ captureTime: 1234.4, jpeg });
    expect(view.equals(jpeg)).toBe(true);
    expect(view.buffer).toBe(part.buffer);
    expect(part.subarray(0, part.length - jpeg.length - 16).toString()).toBe('Content-Type: image/jpeg\r\nContent-Length: 7\r\nX-Capture-Time: 1234\r\n\r\n');
    expect(part.subarray(-16).toString()).toBe('\r\n--mjpegframe\r\n');
    const parts: Part[] = [];
    const parse = createMultipartParser('mjpegframe', (p) => parts.push(p));
    const stream = Buffer.concat([PREAMBLE, part, part]);
    // Byte by byte: a part split anywhere still parses.
    for (let i = 0; i < stream.length; i++) parse(stream.subarray(i, i + 1));
    expect(parts).toHaveLength(2);
    expect(parts[1]?.headers).toEqual({ 'content-type': 'image/jpeg', 'content-length': '7', 'x-capture-time': '1234' });
    expect(parts[1]?.body.equals(jpeg)).toBe(true);
  });
});
