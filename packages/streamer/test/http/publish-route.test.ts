import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { listFiles, playlistText, publish, raw, startServer, type RawRequest, type TestServer } from '../helpers/server.js';

const TOKEN = 'correct horse battery staple';
let server: TestServer;
let segment: Buffer;
let fixtures: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  fixtures = await tempDir();
  segment = await makeSegment(fixtures.path);
  server = await startServer({ publishToken: TOKEN, window: 2, maxSegmentBytes: segment.length * 2 });
  // Three 10 s segments in a window of 2: old-0 is retiring (for 30 s), old-1 and old-2 are listed.
  for (const i of [0, 1, 2]) {
    const res = await publish(server.port, { name: `old-${i}.ts`, duration: 10, target: '10', body: segment, token: TOKEN });
    expect(res.status).toBe(201);
  }
  await writeFile(join(server.mediaDir, 'not-ts.ts'), randomBytes(188 * 3));
});

afterAll(async () => {
  await server?.close();
  await fixtures?.remove();
});

function badSync(): Buffer {
  const copy = Buffer.from(segment);
  copy[188 * 5] = 0x00;
  return copy;
}

function randomBody(): Buffer {
  const bytes = randomBytes(188 * 20);
  bytes[0] = 0x00;
  return bytes;
}

const pub =
  (path: string, body: () => Buffer = () => segment, headers: Record<string, string> = {}): (() => RawRequest) =>
  () => ({
    method: 'POST',
    path,
    headers: { Authorization: `Bearer ${TOKEN}`, 'X-Publisher-Session': 'session-a', 'Content-Type': 'video/mp2t', ...headers },
    body: body(),
  });

// One row per bad input of docs/PROTOCOL.md.
const rows: [string, number, string, () => RawRequest][] = [
  ['name ../x.ts', 400, 'INVALID_SEGMENT_NAME', pub('/publish/../x.ts/1')],
  ['name %2e%2e%2fx.ts', 400, 'INVALID_SEGMENT_NAME', pub('/publish/%2e%2e%2fx.ts/1')],
  ['name ..%2F..%2Fx.ts', 400, 'INVALID_SEGMENT_NAME', pub('/publish/..%2F..%2Fx.ts/1')],
  ['name a/b.ts', 400, 'INVALID_SEGMENT_NAME', pub('/publish/a/b.ts/1')],
  ['name x.mp4', 400, 'INVALID_SEGMENT_NAME', pub('/publish/x.mp4/1')],
  ['name .ts', 400, 'INVALID_SEGMENT_NAME', pub('/publish/.ts/1')],
  ['name x..ts', 400, 'INVALID_SEGMENT_NAME', pub('/publish/x..ts/1')],
  ['a name of 129 characters', 400, 'INVALID_SEGMENT_NAME', pub(`/publish/${'a'.repeat(126)}.ts/1`)],
  ['a NUL in the name', 400, 'INVALID_SEGMENT_NAME', pub('/publish/x%00.ts/1')],
  ['broken percent-encoding', 400, 'INVALID_SEGMENT_NAME', pub('/publish/%zz.ts/1')],
  ['duration NaN', 400, 'INVALID_DURATION', pub('/publish/x.ts/NaN')],
  ['duration Infinity', 400, 'INVALID_DURATION', pub('/publish/x.ts/Infinity')],
  ['duration 1e309', 400, 'INVALID_DURATION', pub('/publish/x.ts/1e309')],
  ['duration -0', 400, 'INVALID_DURATION', pub('/publish/x.ts/-0')],
  ['duration 0', 400, 'INVALID_DURATION', pub('/publish/x.ts/0')],
  ['duration 0x10', 400, 'INVALID_DURATION', pub('/publish/x.ts/0x10')],
  ['duration 31', 400, 'INVALID_DURATION', pub('/publish/x.ts/31')],
  ['duration abc', 400, 'INVALID_DURATION', pub('/publish/x.ts/abc')],
  ['no duration', 400, 'INVALID_DURATION', pub('/publish/x.ts')],
  ['a malformed session', 400, 'INVALID_HEADER', pub('/publish/x.ts/1', undefined, { 'X-Publisher-Session': 'a b' })],
  ['a malformed program date-time', 400, 'INVALID_HEADER', pub('/publish/x.ts/1', undefined, { 'X-Program-Date-Time': 'yesterday' })],
  ['target duration 0', 400, 'INVALID_HEADER', pub('/publish/x.ts/1', undefined, { 'X-Target-Duration': '0' })],
  ['target duration 31', 400, 'INVALID_HEADER', pub('/publish/x.ts/1', undefined, { 'X-Target-Duration': '31' })],
  ['no token', 401, 'UNAUTHORIZED', pub('/publish/x.ts/1', undefined, { Authorization: '' })],
  ['a wrong token', 401, 'UNAUTHORIZED', pub('/publish/x.ts/1', undefined, { Authorization: 'Bearer wrong' })],
  ['a token that is a prefix', 401, 'UNAUTHORIZED', pub('/publish/x.ts/1', undefined, { Authorization: `Bearer ${TOKEN.slice(0, 7)}` })],
  ['no token on end', 401, 'UNAUTHORIZED', () => ({ method: 'POST', path: '/publish/end' })],
  ['a name in the window', 409, 'SEGMENT_EXISTS', pub('/publish/old-2.ts/1')],
  ['a name still retiring', 409, 'SEGMENT_EXISTS', pub('/publish/old-0.ts/1')],
  ['a body over the cap', 413, 'BODY_TOO_LARGE', pub('/publish/x.ts/1', () => Buffer.concat([segment, segment, segment]))],
  ['random bytes', 415, 'NOT_MPEG_TS', pub('/publish/x.ts/1', randomBody)],
  ['a truncated segment', 415, 'NOT_MPEG_TS', pub('/publish/x.ts/1', () => segment.subarray(0, segment.length - 94))],
  ['a wrong sync byte', 415, 'NOT_MPEG_TS', pub('/publish/x.ts/1', badSync)],
  ['an empty body naming a file that is not MPEG-TS', 415, 'NOT_MPEG_TS', pub('/publish/not-ts.ts/1', () => Buffer.alloc(0))],
  ['a duration over the target', 422, 'SEGMENT_TOO_LONG', pub('/publish/x.ts/10.5')],
  ['an empty body and no such file', 422, 'SEGMENT_FILE_MISSING', pub('/publish/x.ts/1', () => Buffer.alloc(0))],
];

describe('POST /publish refuses bad input without changing anything', () => {
  it.each(rows)('%s -> %i %s', async (_label, status, code, make) => {
    const before = { playlist: await playlistText(server.port), files: await listFiles(server.root), state: JSON.stringify(server.streamer.live.state()) };
    const res = await raw(server.port, make());
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: { code, message: expect.any(String) } });
    expect(await playlistText(server.port)).toBe(before.playlist);
    expect(JSON.stringify(server.streamer.live.state())).toBe(before.state);
    // Nothing written anywhere: no stray temporary file, nothing outside the media folder.
    expect(await listFiles(server.root)).toEqual(before.files);
  });

  it('asks for the scheme on 401', async () => {
    const res = await raw(server.port, pub('/publish/x.ts/1', undefined, { Authorization: '' })());
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });
});

describe('POST /publish streaming', () => {
  // Packets that pass the framing check, written slowly: only the size cap can stop them.
  function slowUpload(path: string, total: number, headers: Record<string, string> = {}) {
    const chunk = Buffer.alloc(188 * 100, 0xff);
    for (let i = 0; i < 100; i++) chunk[i * 188] = 0x47;
    let written = 0;
    const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path, headers: { Authorization: `Bearer ${TOKEN}`, ...headers } });
    const response = new Promise<{ status: number; body: string; writtenAtResponse: number }>((resolve, reject) => {
      req.on('response', (res) => {
        const writtenAtResponse = written;
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body, writtenAtResponse }));
      });
      req.on('error', reject);
    });
    const timer = setInterval(() => {
      if (written >= total) {
        clearInterval(timer);
        req.end();
        return;
      }
      req.write(chunk);
      written += chunk.length;
    }, 5);
    const stop = () => {
      clearInterval(timer);
      req.destroy();
    };
    return { response, stop };
  }

  it('answers 413 while a chunked body is still being sent, without reading it all', async () => {
    const before = await listFiles(server.root);
    const total = 50 * 1024 * 1024;
    const upload = slowUpload('/publish/big.ts/1', total);
    const res = await upload.response;
    upload.stop();
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('BODY_TOO_LARGE');
    expect(res.writtenAtResponse).toBeLessThan(segment.length * 2 + 1024 * 1024);
    expect(await listFiles(server.root)).toEqual(before);
  });

  it('answers 413 from Content-Length before any byte of the body is sent', async () => {
    const req = request({
      host: '127.0.0.1',
      port: server.port,
      method: 'POST',
      path: '/publish/big.ts/1',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Length': String(100 * 1024 * 1024) },
    });
    req.flushHeaders();
    const status = await new Promise<number>((resolve, reject) => {
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
    });
    req.destroy();
    expect(status).toBe(413);
  });

  it('forgets an upload whose client goes away mid-body', async () => {
    const before = { files: await listFiles(server.root), state: JSON.stringify(server.streamer.live.state()) };
    const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/publish/gone.ts/1', headers: { Authorization: `Bearer ${TOKEN}` } });
    req.on('error', () => {});
    req.write(segment.subarray(0, 188 * 10));
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    await expect.poll(() => listFiles(server.root), { timeout: 2000 }).toEqual(before.files);
    expect(JSON.stringify(server.streamer.live.state())).toBe(before.state);
    // The name is free again.
    expect((await raw(server.port, pub('/publish/gone.ts/1')())).status).toBe(201);
  });

  it('refuses a second upload of a name while the first is still streaming', async () => {
    const first = request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/publish/race.ts/1', headers: { Authorization: `Bearer ${TOKEN}` } });
    const firstDone = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0)));
      first.on('error', reject);
    });
    first.write(segment.subarray(0, 188 * 10));
    // The first upload is under way once its temporary file exists.
    await expect.poll(async () => (await listFiles(server.mediaDir)).some((f) => f.startsWith('.race.ts.')), { timeout: 5000 }).toBe(true);
    const second = await raw(server.port, pub('/publish/race.ts/1')());
    expect(second.status).toBe(409);
    first.end(segment.subarray(188 * 10));
    expect(await firstDone).toBe(201);
    expect(await playlistText(server.port)).toContain('segments/race.ts\n');
  });
});
