// What the publisher builds, the streamer parses back to the same values: over a real HTTP
// request for the publish channel (Node lower-cases and joins headers as the streamer sees them),
// directly for the preview channel's messages.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, parseBearer } from '../src/auth.js';
import { partHeaders, parsePartHeaders, type PartOf } from '../src/parts.js';
import { encodeDemandMessage, encodeFrameMessage, parseDemandMessage, parseFrameMessage } from '../src/preview.js';
import {
  endHeaders,
  parsePublishHeaders,
  parsePublishPath,
  parseSessionHeader,
  PUBLISH_END_PATH,
  PUBLISH_PREFIX,
  publishPath,
  segmentHeaders,
} from '../src/publish.js';
import { streamerUrl } from '../src/url.js';

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

let base: string;
let server: ReturnType<typeof createServer>;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.writeHead(201).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// One POST as the publisher's uploader makes it; resolves with what the server received.
function post(url: URL, headers: Record<string, string>): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(received.at(-1)!));
    });
    req.on('error', reject);
    req.end(Buffer.alloc(188, 0x47));
  });
}

const NOW = Date.parse('2024-05-01T10:00:05.000Z');

describe('segment publishing', () => {
  it.each([
    { name: 'pm3k2x1a2b3c-00000.ts', duration: 2.002, session: 'pm3k2x1a2b3c', target: 2, token: 's3cret' },
    { name: `${'a'.repeat(125)}.ts`, duration: 30, session: 'a'.repeat(64), target: 30, token: undefined },
    { name: 'A_b-9.c.ts', duration: 0.001, session: 'pm3k2x1a2b3cr1', target: 1, token: 'x' },
    // Too small to print without an exponent in JavaScript: the builder must still write plain digits.
    { name: 'tiny.ts', duration: 1e-7, session: 's', target: 1, token: undefined },
  ])('$name, $duration s, session $session', async ({ name, duration, session, target, token }) => {
    const programDateTime = new Date('2024-05-01T10:00:00.123Z');
    const got = await post(streamerUrl(base, publishPath(name, duration)), segmentHeaders({ session, programDateTime, targetDuration: target, token }));

    expect(got.url.startsWith(PUBLISH_PREFIX)).toBe(true);
    expect(parsePublishPath(got.url.slice(PUBLISH_PREFIX.length))).toEqual({ name, duration });
    expect(parsePublishHeaders(got.headers, duration, NOW)).toEqual({ sessionId: session, programDateTime: programDateTime.getTime(), declaredTarget: target });
    expect(parsePartHeaders(got.headers)).toBeUndefined();
    expect(parseBearer(got.headers.authorization)).toBe(token);
    expect(got.headers['content-type']).toBe('video/mp2t');
  });

  it('ends the stream under the session that published', async () => {
    const got = await post(streamerUrl(base, PUBLISH_END_PATH), endHeaders('pm3k2x1a2b3c', 's3cret'));
    expect(got.url).toBe(PUBLISH_END_PATH);
    expect(parseSessionHeader(got.headers)).toBe('pm3k2x1a2b3c');
    expect(parseBearer(got.headers.authorization)).toBe('s3cret');
  });

  it('keeps a base path of the streamer URL', () => {
    expect(streamerUrl('http://host:8080/live/', publishPath('a.ts', 2)).href).toBe('http://host:8080/live/publish/a.ts/2');
  });
});

describe('part publishing (Low-Latency HLS)', () => {
  const third = Math.round((10 / 30) * 1e6) / 1e6;
  it.each<PartOf & { duration: number }>([
    { segment: 'p1-00000.ts', index: 0, independent: true, end: false, target: third, duration: third },
    { segment: 'p1-00000.ts', index: 5, independent: false, end: true, target: third, duration: third },
    { segment: 'p1-00001.ts', index: 9999, independent: false, end: false, target: 10, duration: 0.2 },
    { segment: 'p1-00002.ts', index: 1, independent: true, end: true, target: 0.2, duration: 0.2 },
  ])('part $index of $segment (target $target)', async (part) => {
    const headers = { ...segmentHeaders({ session: 'p1', programDateTime: new Date(NOW), targetDuration: 2, token: undefined }), ...partHeaders(part) };
    const got = await post(streamerUrl(base, publishPath(part.segment, part.duration)), headers);

    expect(parsePublishPath(got.url.slice(PUBLISH_PREFIX.length))).toEqual({ name: part.segment, duration: part.duration });
    expect(parsePartHeaders(got.headers)).toEqual({ index: part.index, independent: part.independent, end: part.end, declaredPartTarget: part.target });
  });
});

describe('MJPEG preview messages', () => {
  it.each([Date.parse('2024-05-01T10:00:00.000Z') + 0.25, 1, Number.MAX_SAFE_INTEGER])('a frame captured at %d', (captureTime) => {
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(1000, 7), Buffer.from([0xff, 0xd9])]);
    // The streamer gets the message as a Buffer from ws.
    const parsed = parseFrameMessage(Buffer.from(encodeFrameMessage(captureTime, jpeg)));
    expect(parsed.captureTime).toBe(captureTime);
    expect(parsed.jpeg.equals(jpeg)).toBe(true);
  });

  it.each([true, false])('demand %s', (demand) => {
    expect(parseDemandMessage(encodeDemandMessage(demand))).toBe(demand);
  });

  it('the token header of the upgrade', () => {
    expect(parseBearer(authHeaders('t').authorization)).toBe('t');
  });
});
