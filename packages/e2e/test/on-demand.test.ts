// Capture on demand with a real publisher and a real streamer: no capture ffmpeg while nobody
// watches; the first playlist request wakes the camera and waits (blocking) until a segment is
// listed; capture stops after --idle-seconds without viewers, the stream paused, not ended; the
// next viewer starts a new session after a discontinuity.
import { createStreamer, type Streamer } from '@hls-live/streamer';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import HLS from 'hls-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/playlist.js';
import { descendants, startPublisher, stopAll, type Spawned } from './helpers/processes.js';

const IDLE_SECONDS = 2;

describe('hls-publish --on-demand', () => {
  let mediaDir: string;
  let streamer: Streamer;
  let url: string;
  let publisher: Spawned;

  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'e2e-on-demand-'));
    streamer = createStreamer({ mediaDir, logLevel: 'warn' });
    ({ url } = await streamer.listen(0, '127.0.0.1'));
    publisher = startPublisher(url, [
      '--input',
      'test',
      '--size',
      '320x240',
      '--fps',
      '15',
      '--segment-seconds',
      '2',
      '--detector',
      'off',
      '--stream',
      'sleepy',
      '--on-demand',
      '--idle-seconds',
      String(IDLE_SECONDS),
      '--log-level',
      'info',
    ]);
    await waitFor('the on-demand publisher on the live channel', async () => (streamer.streams.get('sleepy')?.publisherConnected() ? true : undefined), 20_000);
  }, 30_000);

  afterAll(async () => {
    await stopAll(publisher);
    await streamer?.close();
    if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
  });

  it('runs no ffmpeg while nobody watches', async () => {
    for (let i = 0; i < 6; i++) {
      expect(descendants(publisher.child.pid!), publisher.output()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const { streams } = (await (await fetch(`${url}/streams.json`)).json()) as { streams: Array<Record<string, unknown>> };
    expect(streams.find((s) => s.name === 'sleepy')).toMatchObject({ state: 'idle', publisher: true, onDemand: true, watched: false, segments: 0 });
  });

  it('starts capture on the first playlist request, which waits until a segment is listed', async () => {
    const began = performance.now();
    const res = await fetch(`${url}/live/sleepy/stream.m3u8`);
    const seconds = (performance.now() - began) / 1000;
    const text = await res.text();
    expect(res.status).toBe(200);
    const playlist = HLS.parse(text) as InstanceType<typeof HLS.types.MediaPlaylist>;
    // Target (bench/streams.mjs measures it): within 4 s with 2 s segments; generous here for a loaded machine.
    expect(playlist.segments.length, text).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThan(10);
    expect(descendants(publisher.child.pid!).length).toBeGreaterThan(0);
  }, 20_000);

  it('stops capture after the idle time without viewers, paused not ended; the next viewer resumes it after a discontinuity', async () => {
    const last = (await (await fetch(`${url}/streams.json`)).json()) as { streams: Array<{ name: string; segments: number }> };
    expect(last.streams.find((s) => s.name === 'sleepy')!.segments).toBeGreaterThanOrEqual(1);
    // Nobody asks any more: the streamer's quiet time, then --idle-seconds, then the pipeline stops.
    const stoppedAt = await waitFor('capture to stop', async () => (descendants(publisher.child.pid!).length === 0 ? performance.now() : undefined), 30_000);
    expect(stoppedAt).toBeGreaterThan(0);
    const paused = await (await fetch(`${url}/live/sleepy/stream.m3u8`)).text();
    expect(paused).not.toContain('#EXT-X-ENDLIST');
    // That request was a viewer: capture starts again, as a new session after a discontinuity.
    const count = (HLS.parse(paused) as InstanceType<typeof HLS.types.MediaPlaylist>).segments.length;
    const resumed = await waitFor(
      'a new segment',
      async () => {
        const text = await (await fetch(`${url}/live/sleepy/stream.m3u8`)).text();
        return (HLS.parse(text) as InstanceType<typeof HLS.types.MediaPlaylist>).segments.length > count ? text : undefined;
      },
      30_000,
    );
    expect(resumed).toMatch(/^#EXT-X-DISCONTINUITY$/m);
  }, 60_000);
});
