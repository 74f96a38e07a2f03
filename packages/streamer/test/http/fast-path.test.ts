// The fast path answers exactly what the Koa routes answer: the same bytes and the same headers
// (Date and Koa's own extras aside). A query string or a Range header sends a request to Koa,
// which makes the two comparable on one server.
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { publish, raw, startServer, type RawResponse, type TestServer } from '../helpers/server.js';

let segment: Buffer;
let fixtures: Awaited<ReturnType<typeof tempDir>>;
let s: TestServer;
const NAME = 'cam-00000.ts';

beforeAll(async () => {
  fixtures = await tempDir();
  segment = await makeSegment(fixtures.path);
  s = await startServer();
  expect((await publish(s.port, { name: NAME, duration: 1, body: segment, pdt: '2024-05-01T10:00:00.000Z' })).status).toBe(201);
});
afterAll(async () => {
  await s.close();
  await fixtures.remove();
});

const HEADERS = [
  'content-type', 'content-length', 'content-encoding', 'cache-control', 'pragma', 'expires', 'vary',
  'x-content-type-options', 'access-control-allow-origin',
];
const pick = (res: RawResponse) => Object.fromEntries(HEADERS.map((h) => [h, res.headers[h]]));

describe('fast path', () => {
  it.each([
    ['identity', {}],
    ['gzip', { 'Accept-Encoding': 'gzip, deflate' }],
  ])('serves the playlist as Koa does (%s)', async (_label, headers) => {
    const fast = await raw(s.port, { path: '/stream.m3u8', headers });
    const koa = await raw(s.port, { path: '/stream.m3u8?via=koa', headers });
    expect(fast.status).toBe(200);
    expect(pick(fast)).toEqual(pick(koa));
    expect(fast.body.equals(koa.body)).toBe(true);
    const text = fast.headers['content-encoding'] === 'gzip' ? gunzipSync(fast.body).toString() : fast.body.toString();
    expect(text).toContain(NAME);
  });

  it('leaves q-value negotiation to Koa', async () => {
    const res = await raw(s.port, { path: '/stream.m3u8', headers: { 'Accept-Encoding': 'gzip;q=0, identity' } });
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString()).toContain('#EXTM3U');
  });

  it('serves a segment as Koa does, and HEAD without a body', async () => {
    const fast = await raw(s.port, { path: `/segments/${NAME}` });
    const koa = await raw(s.port, { path: `/segments/${NAME}?via=koa` });
    expect(fast.status).toBe(200);
    // Expires moves with the clock: the two may straddle a second.
    expect({ ...pick(fast), expires: undefined }).toEqual({ ...pick(koa), expires: undefined });
    expect(Math.abs(Date.parse(String(fast.headers.expires)) - Date.parse(String(koa.headers.expires)))).toBeLessThanOrEqual(1000);
    expect(fast.body.equals(segment)).toBe(true);
    const head = await raw(s.port, { path: `/segments/${NAME}`, method: 'HEAD' });
    expect(head.headers['content-length']).toBe(String(segment.length));
    expect(head.body.length).toBe(0);
  });

  it.each([
    ['a missing segment', '/segments/nope.ts', 404],
    ['an encoded name', '/segments/%2e%2e%2fx.ts', 404],
  ])('sends %s to Koa for the JSON error', async (_label, path, status) => {
    const res = await raw(s.port, { path });
    expect(res.status).toBe(status);
    expect(res.json().error.code).toMatch(/NOT_FOUND|INVALID/);
  });
});
