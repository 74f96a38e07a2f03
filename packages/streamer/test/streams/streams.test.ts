// Many named streams in one real streamer: each under /live/<name>/ with its own window, folder
// and errors; `default` also at the original paths, byte for byte; --max-streams; restart;
// forgetting ended streams; /streams.json; metrics by stream; per-stream tokens.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamer } from '../../src/streamer.js';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { endStream, playlistText, publish, publishPart, raw, useServers } from '../helpers/server.js';

let chunks: Buffer[];
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const server = useServers();

beforeAll(async () => {
  fixtures = await tempDir();
  chunks = await makeSegments(fixtures.path, 4, 1);
});
afterAll(() => fixtures.remove());

const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, '0')}.ts`;
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('named streams', () => {
  it('keeps each stream in its own window under /live/<name>/, and default at the original paths too', async () => {
    const s = await server();
    expect((await publish(s.port, { name: name('d', 0), body: chunks[0]! })).status).toBe(201);
    expect((await publish(s.port, { name: name('a', 0), body: chunks[1]!, stream: 'cam-a' })).status).toBe(201);
    expect((await publish(s.port, { name: name('a', 1), body: chunks[2]!, stream: 'cam-a' })).status).toBe(201);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[3]!, stream: 'cam_b2' })).status).toBe(201);

    const a = await playlistText(s.port, 'cam-a');
    expect(a).toContain(`segments/${name('a', 0)}`);
    expect(a).toContain(`segments/${name('a', 1)}`);
    expect(a).not.toContain('segments/d-');
    expect(a).not.toContain('segments/b-');
    expect(await playlistText(s.port, 'cam_b2')).toMatch(new RegExp(`#EXT-X-MEDIA-SEQUENCE:0[\\s\\S]*segments/${name('b', 0)}`));
    // The original paths are `default`'s, unchanged, and the same stream as /live/default/.
    const legacy = await raw(s.port, { path: '/stream.m3u8' });
    const named = await raw(s.port, { path: '/live/default/stream.m3u8' });
    expect(legacy.body.toString()).toContain(`segments/${name('d', 0)}`);
    expect(legacy.body.toString()).not.toContain('segments/a-');
    expect(named.body.equals(legacy.body)).toBe(true);

    const seg = await raw(s.port, { path: `/live/cam-a/segments/${name('a', 1)}` });
    expect(seg.status).toBe(200);
    expect(seg.body.equals(chunks[2]!)).toBe(true);
    // A segment of another stream is not there.
    expect((await raw(s.port, { path: `/live/cam-a/segments/${name('b', 0)}` })).status).toBe(404);
    expect((await raw(s.port, { path: `/segments/${name('a', 0)}` })).status).toBe(404);

    // Each named stream has its own folder; default keeps the media folder's original layout.
    expect(await exists(join(s.mediaDir, 'window-state.json'))).toBe(true);
    expect(await exists(join(s.mediaDir, name('d', 0)))).toBe(true);
    expect(await exists(join(s.mediaDir, 'streams', 'cam-a', name('a', 1)))).toBe(true);
    expect(await exists(join(s.mediaDir, 'streams', 'cam-a', 'window-state.json'))).toBe(true);
    expect(await exists(join(s.mediaDir, 'streams', 'cam_b2', name('b', 0)))).toBe(true);
  });

  it('serves parts per stream, through the fast path and Koa alike', async () => {
    const s = await server();
    expect((await publishPart(s.port, { segment: 'p-1.ts', index: 0, body: chunks[0]!, stream: 'll' })).status).toBe(201);
    const text = await playlistText(s.port, 'll');
    const epoch = s.streamer.streams.get('ll')?.live.partEpoch;
    expect(epoch).not.toBe(s.streamer.live.partEpoch);
    expect(text).toContain(`#EXT-X-PART:DURATION=0.200,URI="parts/${epoch}.0.0.ts",INDEPENDENT=YES`);
    // No query: the fast path; a query: Koa (blocking reload of the part already there).
    const fast = await raw(s.port, { path: `/live/ll/parts/${epoch}.0.0.ts` });
    const koa = await raw(s.port, { path: '/live/ll/stream.m3u8?_HLS_msn=0&_HLS_part=0' });
    expect(fast.status).toBe(200);
    expect(fast.body.equals(chunks[0]!)).toBe(true);
    expect(koa.status).toBe(200);
    expect((await raw(s.port, { path: `/parts/${epoch}.0.0.ts` })).status).toBe(404);
  });

  it.each([['Cam'], ['-cam'], ['_cam'], ['a.b'], ['a b'], ['a/b'], ['é'], ['a'.repeat(65)], ['']])(
    'refuses the stream name `%s` with 400 and creates nothing',
    async (bad) => {
      const s = await server();
      const res = await publish(s.port, { name: name('x', 0), body: chunks[0]!, stream: bad });
      expect(res.status).toBe(400);
      expect(res.json().error.code).toBe('INVALID_STREAM_NAME');
      expect(s.streamer.streams.list().map((stream) => stream.name)).toEqual(['default']);
      expect(await exists(join(s.mediaDir, 'streams'))).toBe(false);
    },
  );

  it('accepts a name of 64 characters and answers unknown or bad names on the viewer paths', async () => {
    const s = await server();
    const long = `a${'-'.repeat(62)}9`;
    expect((await publish(s.port, { name: name('x', 0), body: chunks[0]!, stream: long })).status).toBe(201);
    expect((await raw(s.port, { path: `/live/${long}/stream.m3u8` })).status).toBe(200);
    const unknown = await raw(s.port, { path: '/live/nobody/stream.m3u8' });
    expect(unknown.status).toBe(404);
    expect(unknown.json().error.code).toBe('STREAM_NOT_FOUND');
    const bad = await raw(s.port, { path: '/live/No%20Body/stream.m3u8' });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_STREAM_NAME');
    expect((await raw(s.port, { path: '/live/nobody/segments/x.ts' })).status).toBe(404);
    expect((await raw(s.port, { path: '/live/nobody/snapshot.jpg' })).json().error.code).toBe('STREAM_NOT_FOUND');
  });

  it('leaves every other stream untouched when one gets a bad publish', async () => {
    const s = await server();
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'good' })).status).toBe(201);
    expect((await publish(s.port, { name: name('d', 0), body: chunks[1]! })).status).toBe(201);
    const before = [await playlistText(s.port, 'good'), await playlistText(s.port)];
    const bad = [
      await publish(s.port, { name: name('b', 0), body: Buffer.from('not a transport stream'), stream: 'bad' }),
      await publish(s.port, { name: name('b', 1), body: chunks[2]!, duration: 'abc', stream: 'bad' }),
      await publish(s.port, { name: name('a', 0), body: chunks[2]!, stream: 'bad' }),
      await publish(s.port, { name: name('a', 0), body: chunks[2]!, stream: 'bad' }),
      await publish(s.port, { name: name('b', 2), body: chunks[2]!, duration: 29, target: '1', stream: 'bad' }),
      await endStream(s.port, undefined, 'bad'),
    ];
    expect(bad.map((r) => r.status)).toEqual([415, 400, 201, 409, 422, 200]);
    expect([await playlistText(s.port, 'good'), await playlistText(s.port)]).toEqual(before);
    expect(await playlistText(s.port, 'bad')).toContain('#EXT-X-ENDLIST');
    expect(before[0]).not.toContain('#EXT-X-ENDLIST');
  });

  it('refuses a new name past --max-streams with 503, keeps serving the others', async () => {
    const s = await server({ maxStreams: 3 });
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'one' })).status).toBe(201);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[1]!, stream: 'two' })).status).toBe(201);
    const refused = await publish(s.port, { name: name('c', 0), body: chunks[2]!, stream: 'three' });
    expect(refused.status).toBe(503);
    expect(refused.json().error.code).toBe('TOO_MANY_STREAMS');
    expect(await exists(join(s.mediaDir, 'streams', 'three'))).toBe(false);
    expect((await publish(s.port, { name: name('a', 1), body: chunks[3]!, stream: 'one' })).status).toBe(201);
    expect((await publish(s.port, { name: name('d', 0), body: chunks[3]! })).status).toBe(201);
  });

  it('restores every stream after a restart, each from its own folder', async () => {
    const dir = await tempDir();
    const mediaDir = join(dir.path, 'media');
    const logger = pino({ level: 'silent' });
    try {
      const first = createStreamer({ mediaDir, logger });
      const { port } = await first.listen(0, '127.0.0.1');
      expect((await publish(port, { name: name('d', 0), body: chunks[0]! })).status).toBe(201);
      expect((await publish(port, { name: name('a', 0), body: chunks[1]!, stream: 'yard' })).status).toBe(201);
      expect((await publish(port, { name: name('a', 1), body: chunks[2]!, stream: 'yard', session: 'session-b' })).status).toBe(201);
      expect((await publish(port, { name: name('b', 0), body: chunks[3]!, stream: 'door' })).status).toBe(201);
      expect((await endStream(port, undefined, 'door')).status).toBe(200);
      const before = { d: await playlistText(port), yard: await playlistText(port, 'yard'), door: await playlistText(port, 'door') };
      expect(before.yard).toMatch(/^#EXT-X-DISCONTINUITY$/m);
      await first.close();

      const second = createStreamer({ mediaDir, logger });
      const again = await second.listen(0, '127.0.0.1');
      try {
        expect({ d: await playlistText(again.port), yard: await playlistText(again.port, 'yard'), door: await playlistText(again.port, 'door') }).toEqual(
          before,
        );
        expect((await raw(again.port, { path: `/live/yard/segments/${name('a', 1)}` })).body.equals(chunks[2]!)).toBe(true);
        expect(
          second.streams
            .list()
            .map((stream) => stream.name)
            .sort(),
        ).toEqual(['default', 'door', 'yard']);
        // The next segment continues each stream's own sequence.
        const next = await publish(again.port, { name: name('a', 2), body: chunks[0]!, stream: 'yard', session: 'session-b' });
        expect(next.json().sequence).toBe(2);
      } finally {
        await second.close();
      }
    } finally {
      await dir.remove();
    }
  });

  it('restores a single-stream media folder (a streamer upgraded in place) as `default`', async () => {
    const s = await server();
    expect((await publish(s.port, { name: name('d', 0), body: chunks[0]! })).status).toBe(201);
    const saved = JSON.parse(await readFile(join(s.mediaDir, 'window-state.json'), 'utf8'));
    expect(saved.state.segments[0].name).toBe(name('d', 0));
    await s.streamer.close();
    const upgraded = createStreamer({ mediaDir: s.mediaDir, logger: pino({ level: 'silent' }) });
    const { port } = await upgraded.listen(0, '127.0.0.1');
    try {
      expect(await playlistText(port)).toContain(`segments/${name('d', 0)}`);
      expect(await playlistText(port, 'default')).toContain(`segments/${name('d', 0)}`);
    } finally {
      await upgraded.close();
    }
  });

  it('forgets an ended stream with no viewers after its retention time, deleting its files; never a live one or default', async () => {
    const s = await server({ streamRetentionSeconds: 0.3 });
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'gone' })).status).toBe(201);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[1]!, stream: 'stays' })).status).toBe(201);
    expect((await publish(s.port, { name: name('d', 0), body: chunks[2]! })).status).toBe(201);
    expect((await endStream(s.port, undefined, 'gone')).status).toBe(200);
    expect((await endStream(s.port)).status).toBe(200);
    const folder = join(s.mediaDir, 'streams', 'gone');
    expect(await exists(join(folder, name('a', 0)))).toBe(true);
    // Watched (a playlist request a moment ago): not yet.
    expect((await raw(s.port, { path: '/live/gone/stream.m3u8' })).status).toBe(200);
    expect(await s.streamer.streams.sweep()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 7000));
    await s.streamer.streams.sweep();
    expect(
      s.streamer.streams
        .list()
        .map((stream) => stream.name)
        .sort(),
    ).toEqual(['default', 'stays']);
    expect(await exists(folder)).toBe(false);
    expect((await raw(s.port, { path: '/live/gone/stream.m3u8' })).status).toBe(404);
    // Its metrics went with it (names that come and go do not pile up).
    expect((await raw(s.port, { path: '/metrics' })).body.toString()).not.toContain('stream="gone"');
    expect(await playlistText(s.port)).toContain(`segments/${name('d', 0)}`);
    // The name is free again: a new publish starts a new stream.
    const again = await publish(s.port, { name: name('a', 1), body: chunks[3]!, stream: 'gone' });
    expect(again.status).toBe(201);
    expect(again.json().sequence).toBe(0);
  }, 20_000);

  it('lists every stream in /streams.json', async () => {
    const s = await server();
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'porch', pdt: '2024-05-01T10:00:00.000Z' })).status).toBe(201);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[1]!, stream: 'attic' })).status).toBe(201);
    expect((await endStream(s.port, undefined, 'attic')).status).toBe(200);
    await raw(s.port, { path: '/live/porch/stream.m3u8', headers: { 'User-Agent': 'viewer-1' } });
    const res = await raw(s.port, { path: '/streams.json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const { streams } = res.json();
    expect(streams.map((entry: { name: string }) => entry.name)).toEqual(['attic', 'default', 'porch']);
    expect(streams[2]).toEqual({
      name: 'porch',
      state: 'live',
      segments: 1,
      lastProgramDateTime: '2024-05-01T10:00:00.000Z',
      viewers: 1,
      publisher: false,
      onDemand: false,
      watched: true,
      urls: { hls: '/live/porch/stream.m3u8', mjpeg: '/live/porch/mjpeg', snapshot: '/live/porch/snapshot.jpg', webrtc: null, page: '/watch/porch' },
    });
    expect(streams[0]).toMatchObject({ name: 'attic', state: 'ended', segments: 1, viewers: 0 });
    expect(streams[1]).toMatchObject({ name: 'default', state: 'idle', segments: 0, lastProgramDateTime: null, watched: false });
    const watch = await raw(s.port, { path: '/watch/porch' });
    expect(watch.status).toBe(302);
    expect(watch.headers.location).toBe('/?stream=porch');
  });

  it('labels metrics by stream', async () => {
    const s = await server();
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'lab' })).status).toBe(201);
    await raw(s.port, { path: '/live/lab/stream.m3u8' });
    await raw(s.port, { path: `/live/lab/segments/${name('a', 0)}` });
    const text = (await raw(s.port, { path: '/metrics' })).body.toString();
    expect(text).toContain('hls_segments_published_total{stream="lab"} 1');
    expect(text).toContain('hls_segments_published_total{stream="default"} 0');
    expect(text).toContain('hls_playlist_requests_total{stream="lab",status="200"} 1');
    expect(text).toContain('hls_segments_served_total{stream="lab"} 1');
    expect(text).toContain('hls_window_segments{stream="lab"} 1');
    expect(text).toContain('hls_stream_live{stream="lab"} 1');
    expect(text).toContain('hls_publish_requests_total{stream="lab",status="201"} 1');
  });
});

describe('per-stream tokens (--config)', () => {
  const tokens = new Map([['private', { publishToken: 'cam-secret', viewerToken: 'eyes-only' }]]);

  it('a stream with its own publish token takes it or the global one; other streams only the global one', async () => {
    const s = await server({ publishToken: 'global', streamTokens: tokens });
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'private', token: 'cam-secret' })).status).toBe(201);
    expect((await publish(s.port, { name: name('a', 1), body: chunks[1]!, stream: 'private', token: 'global' })).status).toBe(201);
    expect((await publish(s.port, { name: name('a', 2), body: chunks[2]!, stream: 'private', token: 'wrong' })).status).toBe(401);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[0]!, stream: 'other', token: 'cam-secret' })).status).toBe(401);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[0]!, token: 'cam-secret' })).status).toBe(401);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[0]!, stream: 'other', token: 'global' })).status).toBe(201);
  });

  it('a stream with its own viewer token is read with it; others stay open', async () => {
    const s = await server({ streamTokens: tokens });
    expect((await publish(s.port, { name: name('a', 0), body: chunks[0]!, stream: 'private', token: 'cam-secret' })).status).toBe(201);
    expect((await publish(s.port, { name: name('b', 0), body: chunks[1]!, stream: 'open' })).status).toBe(201);
    expect((await raw(s.port, { path: '/live/private/stream.m3u8' })).status).toBe(401);
    expect((await raw(s.port, { path: `/live/private/segments/${name('a', 0)}` })).status).toBe(401);
    expect((await raw(s.port, { path: '/live/private/stream.m3u8', headers: { Authorization: 'Bearer eyes-only' } })).status).toBe(200);
    const page = await raw(s.port, { path: '/live/private/stream.m3u8?token=eyes-only' });
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    expect(cookie).toMatch(/^hls_viewer_private=/);
    // The cookie opens the fast path (no query) too.
    expect((await raw(s.port, { path: `/live/private/segments/${name('a', 0)}`, headers: { Cookie: cookie } })).status).toBe(200);
    expect((await raw(s.port, { path: '/live/open/stream.m3u8' })).status).toBe(200);
  });
});
