import { describe, expect, it } from 'vitest';
import {
  closeReason,
  encodeDemandMessage,
  encodeFrameMessage,
  FRAME_HEADER_BYTES,
  frameCloseCode,
  isWholeJpeg,
  MAX_CLOSE_REASON_BYTES,
  maxFrameMessageBytes,
  parseDemandMessage,
  parseFrameMessage,
  PREVIEW_CLOSE_CODES,
  previewUrl,
} from '../src/preview.js';

const jpeg = Uint8Array.from([0xff, 0xd8, 0x01, 0x02, 0x03, 0xff, 0xd9]);

describe('MJPEG frame messages', () => {
  it('are 8 bytes of big-endian float64 capture time, then the JPEG', () => {
    const message = encodeFrameMessage(1_700_000_000_123.5, jpeg);
    expect(message.length).toBe(FRAME_HEADER_BYTES + jpeg.length);
    expect(Buffer.from(message).readDoubleBE(0)).toBe(1_700_000_000_123.5);
    expect([...message.subarray(FRAME_HEADER_BYTES)]).toEqual([...jpeg]);
  });

  it('round-trips the capture time and the JPEG', () => {
    const parsed = parseFrameMessage(encodeFrameMessage(1_700_000_000_123.5, jpeg));
    expect(parsed.captureTime).toBe(1_700_000_000_123.5);
    expect([...parsed.jpeg]).toEqual([...jpeg]);
  });

  it('parses a Buffer into a view on it, not a copy, at any offset in its pool', () => {
    // ws hands over Buffers that may start inside a larger allocation.
    const pool = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(encodeFrameMessage(42, jpeg))]);
    const message = pool.subarray(3);
    const parsed = parseFrameMessage(message);
    expect(parsed.captureTime).toBe(42);
    expect(Buffer.isBuffer(parsed.jpeg)).toBe(true);
    expect(parsed.jpeg.buffer).toBe(pool.buffer);
    expect(parsed.jpeg.equals(jpeg)).toBe(true);
  });

  it.each<[string, Uint8Array, string]>([
    ['too short', new Uint8Array(10), 'INVALID_FRAME'],
    ['a zero capture time', encodeFrameMessage(0, jpeg), 'INVALID_FRAME'],
    ['a negative capture time', encodeFrameMessage(-5, jpeg), 'INVALID_FRAME'],
    ['a NaN capture time', encodeFrameMessage(Number.NaN, jpeg), 'INVALID_FRAME'],
    ['an infinite capture time', encodeFrameMessage(Number.POSITIVE_INFINITY, jpeg), 'INVALID_FRAME'],
    ['no SOI', encodeFrameMessage(1, Uint8Array.from([0x00, 0xd8, 1, 2, 0xff, 0xd9])), 'NOT_JPEG'],
    ['no EOI (a cut JPEG)', encodeFrameMessage(1, jpeg.subarray(0, 5)), 'NOT_JPEG'],
  ])('refuses %s', (_name, message, code) => {
    expect(() => parseFrameMessage(message)).toThrow(expect.objectContaining({ name: 'ProtocolError', code }));
  });

  it('checks SOI and EOI', () => {
    expect(isWholeJpeg(jpeg)).toBe(true);
    expect(isWholeJpeg(Uint8Array.from([0xff, 0xd8, 0xff, 0xd8]))).toBe(false);
    expect(isWholeJpeg(Uint8Array.from([0xff, 0xd9]))).toBe(false);
  });

  it('caps a message at the JPEG cap plus the header', () => {
    expect(maxFrameMessageBytes(65_536)).toBe(65_544);
  });
});

describe('demand messages', () => {
  it.each([true, false])('round-trip {"demand": %s}', (demand) => {
    expect(encodeDemandMessage(demand)).toBe(`{"demand":${demand}}`);
    expect(parseDemandMessage(encodeDemandMessage(demand))).toBe(demand);
  });

  it.each(['', 'demand', '{"demand": "yes"}', '{"demand": 1}', 'null', '[]', '{}', '{"other": true}'])('`%s` is not a demand message', (text) => {
    expect(parseDemandMessage(text)).toBeUndefined();
  });
});

describe('close codes and reasons', () => {
  it('maps frame refusals to their close codes', () => {
    expect(frameCloseCode('INVALID_FRAME')).toBe(4400);
    expect(frameCloseCode('NOT_JPEG')).toBe(4415);
    expect(PREVIEW_CLOSE_CODES).toMatchObject({ NORMAL: 1000, GOING_AWAY: 1001, UNSUPPORTED: 1003, TOO_BIG: 1009, REPLACED: 4409 });
  });

  it('starts a reason with the code and fits it in a close frame, counting bytes', () => {
    expect(closeReason('REPLACED', 'a newer publisher connection took over')).toBe('REPLACED: a newer publisher connection took over');
    const long = closeReason('NOT_JPEG', 'é'.repeat(200));
    expect(long.startsWith('NOT_JPEG: ')).toBe(true);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
    expect(Buffer.byteLength(long)).toBeGreaterThan(MAX_CLOSE_REASON_BYTES - 2);
  });
});

describe('previewUrl', () => {
  it.each([
    ['http://127.0.0.1:8080', 'ws://127.0.0.1:8080/publish/mjpeg'],
    ['http://host:8080/base/', 'ws://host:8080/base/publish/mjpeg'],
    ['https://host/live', 'wss://host/live/publish/mjpeg'],
  ])('%s -> %s', (streamer, url) => {
    expect(previewUrl(streamer)).toBe(url);
  });
});
