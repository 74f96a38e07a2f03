// Low-Latency HLS over real HTTP: parts in, blocking playlist reload and held hinted parts out.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { createStreamer } from '../../src/streamer.js';
import { endStream, raw, startServer, type RawResponse, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const PARTS_PER_SEGMENT = 5;
let fixtures: Awaited<ReturnType<typeof tempDir>>;
// 0.2 s chunks of one ffmpeg run, each starting with a keyframe: they stand in for parts.
let chunks: Buffer[];
let server: TestServer;

beforeAll(async () => {
  fixtures = await tempDir();
  chunks = await makeSegments(fixtures.path, 3 * PARTS_PER_SEGMENT, 0.2);
});
afterAll(() => fixtures?.remove());
beforeEach(async () => {
  server = await startServer({ targetDuration: 1 });
});
afterEach(() => server?.close());

/** Part `i` of the stream: segment floor(i / 5), the last of five closes it. */
function publishPart(i: number, extra: Record<string, string> = {}, port = server.port): Promise<RawResponse> {
  const index = i % PARTS_PER_SEGMENT;
  const headers: Record<string, string> = {
    'Content-Type': 'video/mp2t',
    'X-Publisher-Session': 'session-a',
    'X-Target-Duration': '1',
    'X-Part-Index': String(index),
    'X-Part-Target': '0.2',
    'X-Independent': index === 0 ? '1' : '0',
    'X-Program-Date-Time': new Date(Date.now() - 200).toISOString(),
    ...(index === PARTS_PER_SEGMENT - 1 ? { 'X-Segment-End': '1' } : {}),
    ...extra,
  };
  const segment = `ll-${Math.floor(i / PARTS_PER_SEGMENT)}.ts`;
  return raw(port, { method: 'POST', path: `/publish/${segment}/0.2`, headers, body: chunks[i]! });
}

function timed(path: string, port = server.port): Promise<RawResponse & { at: number }> {
  return raw(port, { path }).then((res) => ({ ...res, at: Date.now() }));
}

/** A part's file name in this run's URLs: `<epoch>.<msn>.<index>.ts`. */
function part(msn: number, index: number): string {
  return `${server.streamer.live.partEpoch}.${msn}.${index}.ts`;
}

describe('publishing parts', () => {
  it('lists each part at once and the whole segment, built from its parts, when the last one arrives', async () => {
    const first = await publishPart(0);
    expect(first.status).toBe(201);
    expect(first.json()).toEqual({ sequence: 0, part: 0, file: 'll-0.ts', duration: 0.2, closed: [] });
    let text = (await raw(server.port, { path: '/stream.m3u8' })).body.toString();
    expect(server.streamer.live.partEpoch).toMatch(/^[0-9a-f]{8}$/);
    expect(text).toContain(`#EXT-X-PART:DURATION=0.200,URI="parts/${part(0, 0)}",INDEPENDENT=YES\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="parts/${part(0, 1)}"\n`);
    for (let i = 1; i < 5; i++) expect((await publishPart(i)).status).toBe(201);
    text = (await raw(server.port, { path: '/stream.m3u8' })).body.toString();
    HLS.setOptions({ strictMode: true });
    const parsed = HLS.parse(text) as InstanceType<typeof HLS.types.MediaPlaylist>;
    expect(parsed.segments[0]).toMatchObject({ uri: 'segments/ll-0.ts', duration: 1 });
    const segment = await raw(server.port, { path: '/segments/ll-0.ts' });
    expect(segment.body.equals(Buffer.concat(chunks.slice(0, 5)))).toBe(true);
    const res = await raw(server.port, { path: `/parts/${part(0, 3)}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('video/mp2t');
    // Its URL names these bytes forever (the epoch), so caches may keep it like a segment.
    expect(res.headers['cache-control']).toBe('public, max-age=86400, immutable');
    expect(res.body.equals(chunks[3]!)).toBe(true);
  });

  it.each([
    ['a part out of order', 2, {}, 422, 'PART_OUT_OF_ORDER'],
    ['a first part without a keyframe', 0, { 'X-Independent': '0' }, 422, 'PART_NOT_INDEPENDENT'],
    ['a bad part index', 0, { 'X-Part-Index': '-1' }, 400, 'INVALID_HEADER'],
    ['a bad part target', 0, { 'X-Part-Target': '0' }, 400, 'INVALID_HEADER'],
    ['a bad end flag', 0, { 'X-Segment-End': 'yes' }, 400, 'INVALID_HEADER'],
  ])('refuses %s', async (_what, i, headers, status, code) => {
    const res = await publishPart(i, headers);
    expect(res.status).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(server.streamer.live.state().open).toBeNull();
  });
});

describe('blocking playlist reload', () => {
  it('holds a request for the next part until it is published, then answers at once', async () => {
    await publishPart(0);
    const asked = Date.now();
    const pending = timed('/stream.m3u8?_HLS_msn=0&_HLS_part=1');
    await new Promise((r) => setTimeout(r, 300));
    expect(server.streamer.live.waiting()).toBe(1);
    const published = Date.now();
    await publishPart(1);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain(`URI="parts/${part(0, 1)}"`);
    expect(res.at - asked).toBeGreaterThanOrEqual(300);
    expect(res.at - published).toBeLessThan(500);
    expect(server.streamer.live.waiting()).toBe(0);
  });

  it('answers at once what is already there, including a whole segment', async () => {
    for (let i = 0; i < 5; i++) await publishPart(i);
    expect((await raw(server.port, { path: '/stream.m3u8?_HLS_msn=0' })).status).toBe(200);
    expect((await raw(server.port, { path: '/stream.m3u8?_HLS_msn=0&_HLS_part=2' })).status).toBe(200);
    expect(server.streamer.live.waiting()).toBe(0);
  });

  it.each([
    ['_HLS_part without _HLS_msn', '?_HLS_part=1'],
    ['_HLS_msn past the last segment + 2', '?_HLS_msn=3'],
    ['a malformed _HLS_msn', '?_HLS_msn=x'],
    ['a part past the Advance Part Limit', '?_HLS_msn=1&_HLS_part=99'],
  ])('answers 400 at once for %s', async (_what, query) => {
    for (let i = 0; i < 6; i++) await publishPart(i);
    const res = await raw(server.port, { path: `/stream.m3u8${query}` });
    expect(res.status).toBe(400);
    expect(res.json().error.code).toBe('INVALID_BLOCKING_REQUEST');
  });

  it('answers 503 after three target durations when the part never comes', async () => {
    await publishPart(0);
    const asked = Date.now();
    const res = await timed('/stream.m3u8?_HLS_msn=0&_HLS_part=2');
    expect(res.status).toBe(503);
    expect(res.json().error.code).toBe('BLOCKING_TIMEOUT');
    expect(res.at - asked).toBeGreaterThanOrEqual(2900);
    expect(res.at - asked).toBeLessThan(4500);
    expect(server.streamer.live.waiting()).toBe(0);
  });

  it('forgets a waiter whose client disconnects', async () => {
    await publishPart(0);
    const client = request({ host: '127.0.0.1', port: server.port, path: '/stream.m3u8?_HLS_msn=1' });
    client.on('error', () => {});
    client.end();
    await expect.poll(() => server.streamer.live.waiting()).toBe(1);
    client.destroy();
    await expect.poll(() => server.streamer.live.waiting()).toBe(0);
  });
});

describe('the hinted part', () => {
  it('is held until it arrives, then served', async () => {
    await publishPart(0);
    const text = (await raw(server.port, { path: '/stream.m3u8' })).body.toString();
    expect(text).toContain(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="parts/${part(0, 1)}"`);
    const pending = timed(`/parts/${part(0, 1)}`);
    await new Promise((r) => setTimeout(r, 300));
    const published = Date.now();
    await publishPart(1);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.equals(chunks[1]!)).toBe(true);
    expect(res.at - published).toBeLessThan(500);
    expect(res.headers['cache-control']).toBe('public, max-age=86400, immutable');
  });

  it.each([
    ['a part that is neither there nor hinted', () => part(0, 3)],
    ['the hinted part without the epoch', () => '0.1.ts'],
    ['the hinted part with another epoch', () => `${server.streamer.live.partEpoch === '00000000' ? '00000001' : '00000000'}.0.1.ts`],
  ])('is 404 at once, not cacheable, for %s', async (_what, file) => {
    await publishPart(0);
    const asked = Date.now();
    const res = await timed(`/parts/${file()}`);
    expect(res.status).toBe(404);
    expect(res.json().error.code).toBe('PART_NOT_FOUND');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.at - asked).toBeLessThan(500);
    expect(server.streamer.live.waiting()).toBe(0);
  });
});

describe('part URLs across a restart', () => {
  it("name the same sequence and index differently after a restart; the old run's are 404 at once, never held", async () => {
    await publishPart(0);
    await publishPart(1);
    const before = (await raw(server.port, { path: '/stream.m3u8' })).body.toString();
    const oldPart = /#EXT-X-PART:[^\n]*URI="(parts\/[^"]+)"/.exec(before)?.[1];
    const oldHint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(parts\/[^"]+)"/.exec(before)?.[1];
    expect((await raw(server.port, { path: `/${oldPart}` })).body.equals(chunks[0]!)).toBe(true);
    // The open segment built from parts is abandoned (parts are memory-only): sequence 0 is built again, from other bytes.
    await server.streamer.close();
    const again = createStreamer({ mediaDir: server.mediaDir, targetDuration: 1, logger: pino({ level: 'silent' }) });
    const { port } = await again.listen(0, '127.0.0.1');
    try {
      expect((await publishPart(5, {}, port)).json()).toMatchObject({ sequence: 0, part: 0 });
      await publishPart(6, {}, port);
      const after = (await raw(port, { path: '/stream.m3u8' })).body.toString();
      const newPart = /#EXT-X-PART:[^\n]*URI="(parts\/[^"]+)"/.exec(after)?.[1];
      const newHint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(parts\/[^"]+)"/.exec(after)?.[1];
      expect(newPart).toMatch(/^parts\/[0-9a-f]{8}\.0\.0\.ts$/);
      expect(newPart).not.toBe(oldPart);
      expect(newHint).toMatch(/\.0\.2\.ts$/);
      expect(oldHint).toMatch(/\.0\.2\.ts$/);
      expect(newHint).not.toBe(oldHint);
      const fresh = await raw(port, { path: `/${newPart}` });
      expect(fresh.body.equals(chunks[5]!)).toBe(true);
      expect(fresh.headers['cache-control']).toBe('public, max-age=86400, immutable');
      // The old run's part, and its hint (the same sequence and index as this run's hint), are 404 at once.
      for (const old of [oldPart, oldHint]) {
        const asked = Date.now();
        const res = await timed(`/${old}`, port);
        expect(res.status, old).toBe(404);
        expect(res.json().error.code).toBe('PART_NOT_FOUND');
        expect(res.at - asked).toBeLessThan(500);
      }
    } finally {
      await again.close();
    }
  });
});

describe('players without Low-Latency HLS', () => {
  it('ffmpeg reads the whole segments of a playlist with parts', async () => {
    for (let i = 0; i < 3 * PARTS_PER_SEGMENT; i++) expect((await publishPart(i)).status).toBe(201);
    expect((await raw(server.port, { path: '/stream.m3u8' })).body.toString()).toContain('#EXT-X-PART:');
    expect((await endStream(server.port)).status).toBe(200);
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', `${server.url}/stream.m3u8`, '-c', 'copy', '-f', 'null', '-'], { timeout: 20_000 });
    expect(stderr).toMatch(/Video: h264/);
    // 3 s at 25 fps, all of it read from the segments.
    const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(frames.at(-1)).toBe(75);
  });
});
