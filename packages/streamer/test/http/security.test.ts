// Who may publish and view, slow clients, and the headers every answer carries.
import { request } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPublishExposure, isLoopbackHost } from '../../src/http/exposure.js';
import { resolveOptions } from '../../src/options.js';
import { createStreamer, serverTimeouts } from '../../src/streamer.js';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { slowClient } from '../helpers/slow-client.js';
import { publish, raw, startServer } from '../helpers/server.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let segment: Buffer;
beforeAll(async () => {
  tmp = await tempDir();
  segment = await makeSegment(tmp.path);
});
afterAll(() => tmp.remove());

describe('publishing beyond loopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['[::1]', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['example.com', false],
    ['::ffff:127.0.0.1', true],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('refuses to listen on every interface with open publishing, naming the flags', async () => {
    const streamer = createStreamer({ mediaDir: `${tmp.path}/open`, logger: pino({ level: 'silent' }) });
    await expect(streamer.listen(0, '0.0.0.0')).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/^Refusing to listen on 0\.0\.0\.0 .*--publish-token .*--allow-open-publish/),
    });
    await streamer.close();
  });

  it.each([
    ['a publish token', { publishToken: 's3cret' }],
    ['--allow-open-publish', { allowOpenPublish: true }],
  ])('listens on every interface with %s', async (_what, options) => {
    const streamer = createStreamer({ mediaDir: `${tmp.path}/ok`, logger: pino({ level: 'silent' }), ...options });
    await expect(streamer.listen(0, '0.0.0.0')).resolves.toMatchObject({ port: expect.any(Number) });
    await streamer.close();
  });

  it('is pure: loopback with no token passes', () => {
    expect(() => checkPublishExposure('127.0.0.1', undefined, false)).not.toThrow();
  });
});

describe('viewer token', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer({ viewerToken: 'view-me' });
    await publish(server.port, { name: 'a.ts', duration: 0.2, body: segment });
  });
  afterAll(() => server.close());

  it.each(['/', '/index.html', '/stream.m3u8', '/segments/a.ts', '/snapshot.jpg', '/mjpeg'])('refuses GET %s without it', async (path) => {
    const res = await raw(server.port, { path });
    expect(res.status).toBe(401);
    expect(res.json().error.code).toBe('VIEWER_UNAUTHORIZED');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it.each(['/stream.m3u8?token=wrong', '/stream.m3u8?token=', '/stream.m3u8?token=view-me-too'])('refuses %s', async (path) => {
    expect((await raw(server.port, { path, headers: { Cookie: 'hls_viewer=view-me' } })).status).toBe(401);
  });

  it('takes ?token= once, sets an HttpOnly cookie, and the cookie alone opens the playlist and segments', async () => {
    const page = await raw(server.port, { path: '/stream.m3u8?token=view-me' });
    expect(page.status).toBe(200);
    const setCookie = String(page.headers['set-cookie']);
    expect(setCookie).toMatch(/^hls_viewer=[\w-]+; path=\/; samesite=lax; httponly/);
    expect(setCookie).not.toContain('view-me');
    const cookie = setCookie.split(';')[0]!;
    expect((await raw(server.port, { path: '/stream.m3u8', headers: { Cookie: cookie } })).status).toBe(200);
    expect((await raw(server.port, { path: '/segments/a.ts', headers: { Cookie: `x=1; ${cookie}` } })).body.equals(segment)).toBe(true);
    expect((await raw(server.port, { path: '/segments/a.ts', headers: { Authorization: 'Bearer view-me' } })).status).toBe(200);
  });

  it('leaves liveness, hls.js and publishing to their own rules', async () => {
    expect((await raw(server.port, { path: '/healthz' })).status).toBe(200);
    expect((await raw(server.port, { path: '/vendor/hls.min.js' })).status).toBe(200);
    expect((await publish(server.port, { name: 'b.ts', duration: 0.2, body: segment })).status).toBe(201);
  });
});

describe('slow clients', () => {
  // Node checks these deadlines every connectionsCheckingInterval (30 s unless set): without
  // setting it, both clients below stay open for up to 30 s past their deadline.
  const HEADERS_S = 1;
  const REQUEST_S = 2;

  it('cuts off a slow-loris client that never finishes its headers at the headers timeout', async () => {
    const server = await startServer({ requestTimeoutSeconds: REQUEST_S, headersTimeoutSeconds: HEADERS_S });
    try {
      // Half the headers, then one more header line every 150 ms: never idle, never done.
      const result = await slowClient(server.port, 'GET /stream.m3u8 HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n', 150);
      expect(result.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_S * 1000 - 200);
      expect(result.closedAfterMs).toBeLessThanOrEqual(HEADERS_S * 1000 + 1500);
      expect(result.received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      await server.close();
    }
  });

  it('cuts off a client sending its body too slowly at the request timeout, not at the headers timeout', async () => {
    const server = await startServer({ requestTimeoutSeconds: REQUEST_S, headersTimeoutSeconds: HEADERS_S });
    try {
      const packet = Buffer.alloc(188, 0);
      packet[0] = 0x47;
      const head = `POST /publish/slow.ts/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp2t\r\nContent-Length: ${188 * 1000}\r\n\r\n`;
      const result = await slowClient(server.port, Buffer.concat([Buffer.from(head), packet]), packet, 100);
      expect(result.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_S * 1000 - 200);
      expect(result.closedAfterMs).toBeLessThanOrEqual(REQUEST_S * 1000 + 1500);
      // The upload was abandoned: nothing listed, and the server still answers.
      expect(server.streamer.live.state().segments).toHaveLength(0);
      expect((await raw(server.port, { path: '/healthz' })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('keeps the headers timeout within the request timeout', () => {
    expect(serverTimeouts(resolveOptions({ requestTimeoutSeconds: 3, headersTimeoutSeconds: 20 }))).toMatchObject({
      requestTimeout: 3000,
      headersTimeout: 3000,
    });
    expect(serverTimeouts(resolveOptions({}))).toEqual({ requestTimeout: 60_000, headersTimeout: 10_000, connectionsCheckingInterval: 1000 });
  });

  it('refuses uploads over --max-uploads with 503 TOO_MANY_UPLOADS while others stream in, then takes them again', async () => {
    const server = await startServer({ maxUploads: 2 });
    // Two uploads that send a first packet and then hold their bodies open.
    const held = [0, 1].map((i) => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        method: 'POST',
        path: `/publish/held-${i}.ts/0.2`,
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      req.on('error', () => {});
      req.write(segment.subarray(0, 188));
      return req;
    });
    await expect.poll(async () => (await publish(server.port, { name: 'c.ts', duration: 0.2, body: segment })).status, { timeout: 5000 }).toBe(503);
    const refused = await publish(server.port, { name: 'c.ts', duration: 0.2, body: segment });
    expect(refused.json().error.code).toBe('TOO_MANY_UPLOADS');
    expect(refused.headers['retry-after']).toBe('1');
    for (const req of held) req.end(segment.subarray(188));
    await expect.poll(async () => (await publish(server.port, { name: 'c.ts', duration: 0.2, body: segment })).status, { timeout: 5000 }).toBe(201);
    await server.close();
  });
});
