// The fast path answers exactly what the Koa routes answer: the same bytes and the same headers
// (Date and Koa's own extras aside), under every option that changes headers (CORS `*`, `none`,
// a custom origin, a viewer token). The fast path alone is mounted on a bare server over the
// streamer's live stream (whatever it does not answer comes back as 599), and a query string
// sends the same request on the streamer to Koa, so each row compares the two for certain.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFastPath } from '../../src/http/fast-path.js';
import type { StreamerOptions } from '../../src/options.js';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { publish, publishPart, raw, startServer, type RawResponse, type TestServer } from '../helpers/server.js';

let chunks: Buffer[];
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const NAME = 'cam-00000.ts';
const TOKEN = 'view-me';

beforeAll(async () => {
  fixtures = await tempDir();
  chunks = await makeSegments(fixtures.path, 4, 0.2);
});
afterAll(() => fixtures.remove());

const HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'cache-control',
  'pragma',
  'expires',
  'vary',
  'x-content-type-options',
  'access-control-allow-origin',
  'set-cookie',
];
const pick = (res: RawResponse) => Object.fromEntries(HEADERS.map((h) => [h, res.headers[h]]));

/** A streamer with a segment, a closed segment's parts and an open segment's part, and its fast path alone on a bare server. */
async function setUp(options: StreamerOptions): Promise<{ s: TestServer; fastPort: number; close(): Promise<void> }> {
  const s = await startServer(options);
  expect((await publish(s.port, { name: NAME, duration: 0.2, body: chunks[0]!, pdt: '2024-05-01T10:00:00.000Z' })).status).toBe(201);
  expect((await publishPart(s.port, { segment: 'll-1.ts', index: 0, body: chunks[1]! })).status).toBe(201);
  expect((await publishPart(s.port, { segment: 'll-1.ts', index: 1, body: chunks[2]!, last: true })).status).toBe(201);
  expect((await publishPart(s.port, { segment: 'll-2.ts', index: 0, body: chunks[3]! })).status).toBe(201);
  // A named stream, answered under /live/cam/ from its own window.
  expect((await publish(s.port, { name: NAME, duration: 0.2, body: chunks[1]!, pdt: '2024-05-01T10:00:00.000Z', stream: 'cam' })).status).toBe(201);
  expect((await publishPart(s.port, { segment: 'll-1.ts', index: 0, body: chunks[2]!, stream: 'cam' })).status).toBe(201);
  const fast = createFastPath({ streams: s.streamer.streams, corsOrigin: s.streamer.options.corsOrigin, viewerToken: s.streamer.options.viewerToken });
  const bare: Server = createServer((req, res) => {
    if (fast(req, res)) return;
    res.statusCode = 599;
    res.end();
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  return {
    s,
    fastPort: (bare.address() as AddressInfo).port,
    async close() {
      bare.closeAllConnections();
      await new Promise((resolve) => bare.close(resolve));
      await s.close();
    },
  };
}

// What a viewer sends with each option set: nothing, or the token as Bearer or as the cookie `?token=` set.
const CONFIGS: [string, StreamerOptions, string[]][] = [
  ['CORS *', {}, ['none']],
  ['CORS none', { corsOrigin: 'none' }, ['none']],
  ['CORS https://viewer.example', { corsOrigin: 'https://viewer.example' }, ['none']],
  ['viewer token', { viewerToken: TOKEN, corsOrigin: 'https://viewer.example' }, ['bearer', 'cookie']],
];

const PATHS: [string, string, Record<string, string>][] = [
  ['playlist', '/stream.m3u8', {}],
  ['playlist gzip', '/stream.m3u8', { 'Accept-Encoding': 'gzip, deflate' }],
  ['segment', `/segments/${NAME}`, {}],
  ['segment built from parts', '/segments/ll-1.ts', {}],
  ['part of a closed segment', '/parts/<epoch>.1.1.ts', {}],
  ['part of the open segment', '/parts/<epoch>.2.0.ts', {}],
  ['named stream playlist', '/live/cam/stream.m3u8', {}],
  ['named stream playlist gzip', '/live/cam/stream.m3u8', { 'Accept-Encoding': 'gzip' }],
  ['named stream segment', `/live/cam/segments/${NAME}`, {}],
  ['named stream part', '/live/cam/parts/<cam>.1.0.ts', {}],
  ['default under /live/', '/live/default/stream.m3u8', {}],
];

describe.each(CONFIGS)('fast path with %s', (_label, options, credentials) => {
  let setup: Awaited<ReturnType<typeof setUp>>;
  const auth: Record<string, Record<string, string>> = { none: {}, bearer: { Authorization: `Bearer ${TOKEN}` } };
  beforeAll(async () => {
    setup = await setUp(options);
    if (options.viewerToken !== undefined) {
      const page = await raw(setup.s.port, { path: `/stream.m3u8?token=${TOKEN}` });
      auth.cookie = { Cookie: String(page.headers['set-cookie']).split(';')[0]! };
    }
  });
  afterAll(() => setup.close());
  // Part URLs carry each stream's epoch (random per run): filled in once the streams exist.
  const at = (path: string) =>
    path.replace('<epoch>', setup.s.streamer.live.partEpoch).replace('<cam>', setup.s.streamer.streams.get('cam')?.live.partEpoch ?? '');

  for (const how of credentials) {
    it.each(PATHS)(`answers the %s as Koa does (GET and HEAD, credentials: ${how})`, async (_what, path, headers) => {
      for (const method of ['GET', 'HEAD']) {
        path = at(path);
        const sent = { ...headers, ...auth[how] };
        const fast = await raw(setup.fastPort, { method, path, headers: sent });
        const koa = await raw(setup.s.port, { method, path: `${path}?via=koa`, headers: sent });
        expect(fast.status).toBe(200);
        expect(koa.status).toBe(200);
        // A segment's Expires moves with the clock: the two may straddle a second.
        expect({ ...pick(fast), expires: undefined }).toEqual({ ...pick(koa), expires: undefined });
        if (koa.headers.expires === undefined || koa.headers.expires === '0') expect(fast.headers.expires).toBe(koa.headers.expires);
        else expect(Math.abs(Date.parse(String(fast.headers.expires)) - Date.parse(String(koa.headers.expires)))).toBeLessThanOrEqual(1000);
        expect(fast.body.equals(koa.body)).toBe(true);
        if (method === 'HEAD') expect(fast.body.length).toBe(0);
      }
    });
  }

  it('serves the playlist and media it lists', async () => {
    const res = await raw(setup.fastPort, { path: '/stream.m3u8', headers: { 'Accept-Encoding': 'gzip', ...auth[credentials.at(-1)!] } });
    const text = gunzipSync(res.body).toString();
    expect(text).toContain(`segments/${NAME}`);
    expect(text).toContain(`URI="parts/${at('<epoch>.2.0.ts')}"`);
    expect((await raw(setup.fastPort, { path: `/segments/${NAME}`, headers: auth[credentials.at(-1)!] })).body.equals(chunks[0]!)).toBe(true);
  });

  it.each([
    ['q-value negotiation', '/stream.m3u8', { 'Accept-Encoding': 'gzip;q=0, identity' }, 200],
    ['a missing segment', '/segments/nope.ts', {}, 404],
    ['an encoded name', '/segments/%2e%2e%2fx.ts', {}, 404],
    ['a Range request', `/segments/${NAME}`, { Range: 'bytes=0-99' }, 200],
    ['a missing part', '/parts/<epoch>.9.0.ts', {}, 404],
    ['a part without the epoch', '/parts/1.1.ts', {}, 404],
    ['a part of another run', '/parts/0badcafe.1.1.ts', {}, 404],
    ['an unknown stream', '/live/nobody/stream.m3u8', {}, 404],
    ['a bad stream name', '/live/No%20Body/stream.m3u8', {}, 400],
    ['a named stream segment still open', '/live/cam/segments/ll-1.ts', {}, 404],
    // Koa holds it until it arrives (ll-hls.test.ts): not asked here.
    ['the hinted part', '/parts/<epoch>.2.1.ts', {}, null],
  ])('leaves %s to Koa', async (_what, path, headers, status) => {
    path = at(path);
    const sent = { ...headers, ...auth[credentials.at(-1)!] };
    expect((await raw(setup.fastPort, { path, headers: sent })).status).toBe(599);
    if (status === null) return;
    const koa = await raw(setup.s.port, { path, headers: sent });
    expect(koa.status).toBe(status);
    if (status === 404) expect(koa.json().error.code).toMatch(/NOT_FOUND/);
  });

  if (options.viewerToken !== undefined) {
    it.each([
      ['no credentials', {}],
      ['a wrong Bearer', { Authorization: 'Bearer view-me-not' }],
      ['the token itself as the cookie', { Cookie: `hls_viewer=${TOKEN}` }],
    ])('leaves a request with %s to Koa, which refuses it (the same for every fast-path resource)', async (_what, headers) => {
      for (const [, path] of PATHS) {
        expect((await raw(setup.fastPort, { path, headers })).status).toBe(599);
        const koa = await raw(setup.s.port, { path, headers });
        expect(koa.status).toBe(401);
        expect(koa.json().error.code).toBe('VIEWER_UNAUTHORIZED');
        expect(koa.headers['x-content-type-options']).toBe('nosniff');
        expect(koa.headers['access-control-allow-origin']).toBe('https://viewer.example');
      }
    });
  }
});
