// The viewer page in a real headless Chromium playing through hls.js, fed by a real publisher.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ViewerStatus } from './helpers/browser.js';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

const publisherArgs = ['--input', 'test', '--size', '320x240', '--fps', '25', '--segment-seconds', '2'];

function viewerStatus(page: Page): Promise<ViewerStatus> {
  return page.evaluate(() => {
    const status = (window as unknown as { viewer: Omit<ViewerStatus, 'currentTime'> }).viewer;
    const video = document.querySelector('video')!;
    return { ...status, errors: [...status.errors], currentTime: video.currentTime };
  });
}

async function waitForPlayback(page: Page, seconds: number, from: number): Promise<ViewerStatus> {
  return waitFor(
    `currentTime to pass ${from + seconds}`,
    async () => {
      const status = await viewerStatus(page);
      return status.currentTime >= from + seconds ? status : undefined;
    },
    60_000,
  );
}

describe('viewer page in headless Chromium', () => {
  let streamer: RunningStreamer;
  let publisher: Spawned;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    streamer = await startStreamer();
    publisher = startPublisher(streamer.url, publisherArgs);
    await waitFor('2 segments', async () => ((await fetchPlaylist(streamer.url)).playlist.segments.length >= 2 ? true : undefined));
    browser = await launchChromium();
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll(publisher);
    await streamer?.close();
  });

  it('plays the live stream through hls.js with no fatal error', async () => {
    await page.goto(`${streamer.url}/`);
    const start = await waitForPlayback(page, 0.1, 0);
    const later = await waitForPlayback(page, 2, start.currentTime);
    expect(later.engine).toMatch(/^hls\.js/);
    expect(later.fatal, JSON.stringify(later.errors)).toBe(0);
    expect(later.latency).not.toBeNull();
    // Latency is measured from the program date-time: positive and bounded on one machine.
    expect(later.latency!).toBeGreaterThan(0);
    expect(later.latency!).toBeLessThan(30);
    expect(await page.locator('#latency').textContent()).toMatch(/\d+\.\d\d s/);
    // Bitrate from the fragments loaded: the publisher's 1500k target, give or take the rate control.
    const bitrate = (await page.evaluate(() => (window as unknown as { viewer: { bitrate: number | null } }).viewer.bitrate))!;
    expect(bitrate).toBeGreaterThan(50_000);
    expect(bitrate).toBeLessThan(5_000_000);
    expect(await page.locator('#bitrate').textContent()).toMatch(/\d+\.\d\d Mbit\/s/);
  });

  it('plays with the low-latency config on ?latency=low', async () => {
    const low = await browser.newPage();
    try {
      await low.goto(`${streamer.url}/?latency=low`);
      const start = await waitForPlayback(low, 0.1, 0);
      const later = await waitForPlayback(low, 2, start.currentTime);
      expect(later.fatal, JSON.stringify(later.errors)).toBe(0);
      expect(await low.evaluate(() => (window as unknown as { viewer: { latencyMode: string } }).viewer.latencyMode)).toBe('low');
    } finally {
      await low.close();
    }
  });

  it('plays on across a publisher restart (a discontinuity)', async () => {
    publisher.child.kill('SIGKILL');
    await publisher.exited;
    publisher = startPublisher(streamer.url, publisherArgs);
    const { playlist } = await waitFor('the new session in the playlist', async () => {
      const current = await fetchPlaylist(streamer.url);
      return current.playlist.segments.some((s) => s.discontinuity) ? current : undefined;
    });
    const sequenceOfNewSession = playlist.mediaSequenceBase! + playlist.segments.findIndex((s) => s.discontinuity);
    // Keep watching until the player is well past the discontinuity.
    const before = await viewerStatus(page);
    const after = await waitForPlayback(page, 8, before.currentTime);
    expect(after.fatal, JSON.stringify(after.errors)).toBe(0);
    const now = (await fetchPlaylist(streamer.url)).playlist;
    expect(now.mediaSequenceBase! + now.segments.length - 1).toBeGreaterThan(sequenceOfNewSession);
  });

  it('switches between the MJPEG and HLS engines from the view buttons', async () => {
    const views = await browser.newPage();
    type Shown = {
      view: string;
      state: string;
      engine: string | null;
      imgWidth: number;
      imgHidden: boolean;
      video: { hidden: boolean; paused: boolean } | null;
    };
    const shown = () =>
      views.evaluate((): Shown => {
        const status = (window as unknown as { viewer: { view: string; state: string; engine: string | null } }).viewer;
        const img = document.querySelector<HTMLImageElement>('#mjpeg');
        const video = document.querySelector('video');
        return {
          view: status.view,
          state: status.state,
          engine: status.engine,
          imgWidth: img?.naturalWidth ?? 0,
          imgHidden: img?.hidden ?? true,
          video: video && { hidden: video.hidden, paused: video.paused },
        };
      });
    const until = (what: string, ok: (s: Shown) => boolean) =>
      waitFor(
        what,
        async () => {
          const s = await shown();
          return ok(s) ? s : undefined;
        },
        30_000,
      );
    try {
      await views.goto(`${streamer.url}/?view=mjpeg`);
      const mjpeg = await until('MJPEG frames', (s) => s.state === 'playing' && s.imgWidth > 0);
      expect(mjpeg).toMatchObject({ view: 'mjpeg', engine: 'MJPEG (<img>)', imgHidden: false, video: null });
      await views.click('#view-hls');
      const hls = await until('HLS playing', (s) => s.state === 'playing' && s.video !== null && !s.video.paused);
      expect(hls).toMatchObject({ view: 'hls', imgHidden: true, video: { hidden: false } });
      expect(hls.engine).toMatch(/^hls\.js/);
      await views.click('#view-mjpeg');
      const back = await until('MJPEG again', (s) => s.view === 'mjpeg' && s.state === 'playing');
      expect(back).toMatchObject({ imgHidden: false, video: { hidden: true, paused: true } });
    } finally {
      await views.close();
    }
  });

  it('serves the hls.js build from the installed package, not a CDN', async () => {
    const res = await fetch(`${streamer.url}/vendor/hls.min.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const html = await (await fetch(`${streamer.url}/`)).text();
    expect(html).not.toMatch(/https?:\/\//);
  });
});
