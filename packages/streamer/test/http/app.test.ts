import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { endStream, listFiles, publish, raw, useServers } from '../helpers/server.js';

type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;

let segment: Buffer;
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const server = useServers();

beforeAll(async () => {
  fixtures = await tempDir();
  segment = await makeSegment(fixtures.path);
  HLS.setOptions({ strictMode: true });
});
afterAll(() => fixtures.remove());

async function playlist(port: number): Promise<MediaPlaylist> {
  const res = await raw(port, { path: '/stream.m3u8' });
  expect(res.status).toBe(200);
  return HLS.parse(res.body.toString()) as MediaPlaylist;
}

const name = (i: number) => `cam-${String(i).padStart(5, '0')}.ts`;
const pdt = (i: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + i * 100).toISOString();

describe('a live stream over HTTP', () => {
  it('keeps a window of 10, serves slid-out segments for their retention, then deletes them', async () => {
    const s = await server();
    for (let i = 0; i < 12; i++) {
      const res = await publish(s.port, { name: name(i), duration: 0.1, target: '1', pdt: pdt(i), body: segment });
      expect(res.status).toBe(201);
      expect(res.json()).toEqual({ sequence: i, file: name(i), duration: 0.1 });
    }
    const listed = await playlist(s.port);
    expect(listed.mediaSequenceBase).toBe(2);
    expect(listed.targetDuration).toBe(1);
    expect(listed.segments.map((x) => x.uri)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((i) => `segments/${name(i)}`));
    expect(listed.segments[0]?.programDateTime?.toISOString()).toBe(pdt(2));

    // Slid out, but a viewer that saw them in the last playlist may still ask.
    for (const i of [0, 1]) {
      const res = await raw(s.port, { path: `/segments/${name(i)}` });
      expect(res.status).toBe(200);
      expect(res.body.equals(segment)).toBe(true);
      expect(existsSync(join(s.mediaDir, name(i)))).toBe(true);
    }
    // Retention: 0.1 s + the 1 s playlist that listed them; then gone from memory and disk.
    await expect.poll(() => existsSync(join(s.mediaDir, name(1))), { timeout: 5000, interval: 100 }).toBe(false);
    expect(existsSync(join(s.mediaDir, name(0)))).toBe(false);
    expect((await raw(s.port, { path: `/segments/${name(0)}` })).status).toBe(404);
    // Beside the segments: the saved window (storage/state-file.ts), nothing else.
    expect(await listFiles(s.mediaDir)).toEqual([...[2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(name), 'window-state.json']);
    expect((await raw(s.port, { path: `/segments/${name(2)}` })).status).toBe(200);
  });

  it('marks a new publisher session with a discontinuity and ends with ENDLIST', async () => {
    const s = await server();
    expect((await raw(s.port, { path: '/healthz' })).json()).toEqual({ status: 'ok', live: false, segments: 0, mediaSequence: 0 });
    await publish(s.port, { name: 'a-1.ts', session: 'first', target: '2', body: segment });
    await publish(s.port, { name: 'b-1.ts', session: 'second', target: '2', body: segment });
    let listed = await playlist(s.port);
    expect(listed.segments.map((x) => x.discontinuity ?? false)).toEqual([false, true]);
    expect(listed.endlist).toBe(false);
    expect((await raw(s.port, { path: '/healthz' })).json()).toEqual({ status: 'ok', live: true, segments: 2, mediaSequence: 0 });

    for (let i = 0; i < 2; i++) {
      const ended = await endStream(s.port);
      expect(ended.status).toBe(200);
      expect(ended.json()).toEqual({ sequence: 1, ended: true });
    }
    listed = await playlist(s.port);
    expect(listed.endlist).toBe(true);
    expect((await raw(s.port, { path: '/healthz' })).json()).toMatchObject({ live: false, segments: 2 });

    // The same session coming back reopens the stream, after a discontinuity.
    await publish(s.port, { name: 'b-2.ts', session: 'second', target: '2', body: segment });
    listed = await playlist(s.port);
    expect(listed.endlist).toBe(false);
    expect(listed.segments.map((x) => x.discontinuity ?? false)).toEqual([false, true, true]);
  });

  it('sends the playlist uncacheable, gzip-compressed when accepted, rendered once per change', async () => {
    const s = await server();
    await publish(s.port, { name: 'a.ts', body: segment });
    const plain = await raw(s.port, { path: '/stream.m3u8' });
    expect(plain.headers).toMatchObject({
      'content-type': 'application/vnd.apple.mpegurl',
      'cache-control': 'no-cache, no-store, must-revalidate',
      pragma: 'no-cache',
      expires: '0',
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
      vary: 'Accept-Encoding',
    });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toMatch(/^#EXTM3U\n/);

    const zipped = await raw(s.port, { path: '/stream.m3u8', headers: { 'Accept-Encoding': 'br;q=1, gzip;q=0.8' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    const refused = await raw(s.port, { path: '/stream.m3u8', headers: { 'Accept-Encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();

    expect(s.streamer.live.playlist()).toBe(s.streamer.live.playlist());
    const head = await raw(s.port, { method: 'HEAD', path: '/stream.m3u8' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('serves segments from memory as cacheable video/mp2t', async () => {
    const s = await server();
    await publish(s.port, { name: 'a.ts', body: segment });
    // Gone from disk, still served: no request reads the file.
    await rm(join(s.mediaDir, 'a.ts'));
    const res = await raw(s.port, { path: '/segments/a.ts' });
    expect(res.status).toBe(200);
    expect(res.body.equals(segment)).toBe(true);
    expect(res.headers).toMatchObject({
      'content-type': 'video/mp2t',
      'cache-control': expect.stringMatching(/^public, max-age=\d+/),
      'access-control-allow-origin': '*',
      'x-content-type-options': 'nosniff',
      'content-length': String(segment.length),
    });
    expect(Date.parse(String(res.headers.expires))).toBeGreaterThan(Date.now());
    const missing = await raw(s.port, { path: '/segments/nope.ts' });
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('SEGMENT_NOT_FOUND');
    expect(missing.headers['cache-control']).toBe('no-store');
  });

  it('adopts a segment the publisher wrote into the media folder (empty body)', async () => {
    const s = await server();
    await writeFile(join(s.mediaDir, 'own.ts'), segment);
    const res = await publish(s.port, { name: 'own.ts', duration: 0.2 });
    expect(res.status).toBe(201);
    expect((await raw(s.port, { path: '/segments/own.ts' })).body.equals(segment)).toBe(true);
  });

  it('accepts the right token, and publishing without session or date headers', async () => {
    const s = await server({ publishToken: 't0ken' });
    const res = await raw(s.port, { method: 'POST', path: '/publish/plain.ts/0.2', headers: { Authorization: 'Bearer t0ken' }, body: segment });
    expect(res.status).toBe(201);
    const listed = await playlist(s.port);
    expect(Math.abs((listed.segments[0]?.programDateTime?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
  });

  it.each([
    [undefined, '*'],
    ['none', undefined],
    ['https://viewer.example', 'https://viewer.example'],
  ])('CORS with --cors-origin %s', async (corsOrigin, expected) => {
    const s = await server(corsOrigin === undefined ? {} : { corsOrigin });
    for (const path of ['/stream.m3u8', '/healthz', '/segments/none.ts']) {
      expect((await raw(s.port, { path })).headers['access-control-allow-origin']).toBe(expected);
    }
    const preflight = await raw(s.port, {
      method: 'OPTIONS',
      path: '/stream.m3u8',
      headers: { Origin: 'https://viewer.example', 'Access-Control-Request-Method': 'GET' },
    });
    if (expected) {
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD');
    }
    // Publishing is never opened to browsers.
    const post = await raw(s.port, { method: 'POST', path: '/publish/end' });
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers unknown paths and methods with JSON 404', async () => {
    const s = await server();
    for (const [method, path] of [
      ['GET', '/nope'],
      ['POST', '/stream.m3u8'],
      ['DELETE', '/segments/a.ts'],
    ] as const) {
      const res = await raw(s.port, { method, path });
      expect(res.status).toBe(404);
      expect(res.json().error.code).toBe('NOT_FOUND');
    }
  });
});
