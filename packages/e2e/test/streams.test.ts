// Many named streams through one real streamer: two real publishers (`--stream door`, `--stream
// yard`), both played in headless Chromium, the grid page, /streams.json, isolation (a bad publish
// and a SIGKILLed publisher on one stream leave the other untouched), and a streamer restart that
// restores both. The original paths of `default` are covered, unchanged, by the other e2e tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamer, type Streamer } from '@hls-live/streamer';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ViewerStatus } from './helpers/browser.js';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';

const publisherArgs = ['--input', 'test', '--size', '320x240', '--fps', '15', '--segment-seconds', '2', '--detector', 'off', '--mjpeg-fps', '2'];

function viewerStatus(page: Page): Promise<ViewerStatus & { mode: string; stream: string | null; streams: string[] }> {
  return page.evaluate(() => {
    const status = (window as unknown as { viewer: ViewerStatus & { mode: string; stream: string | null; streams: string[] } }).viewer;
    const video = document.querySelector('video');
    return { ...status, errors: [...status.errors], streams: [...status.streams], currentTime: video?.currentTime ?? 0 };
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

const lastSequence = async (url: string, stream: string) => {
  const { playlist } = await fetchPlaylist(`${url}/live/${stream}`);
  return playlist.mediaSequenceBase! + playlist.segments.length - 1;
};

describe('two named streams through one streamer', () => {
  let mediaDir: string;
  let streamer: Streamer;
  let url: string;
  let port: number;
  let door: Spawned;
  let yard: Spawned;
  let browser: Browser;

  beforeAll(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'e2e-streams-'));
    streamer = createStreamer({ mediaDir, logLevel: 'warn' });
    ({ url, port } = await streamer.listen(0, '127.0.0.1'));
    door = startPublisher(url, [...publisherArgs, '--stream', 'door']);
    yard = startPublisher(url, [...publisherArgs, '--stream', 'yard']);
    for (const name of ['door', 'yard']) {
      await waitFor(
        `2 segments of ${name}`,
        async () => ((await fetchPlaylist(`${url}/live/${name}`)).playlist.segments.length >= 2 ? true : undefined),
        60_000,
      );
    }
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll(door, yard);
    await streamer?.close();
    if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
  });

  it('keeps the streams apart and lists both in /streams.json', async () => {
    const [a, b] = [await fetchPlaylist(`${url}/live/door`), await fetchPlaylist(`${url}/live/yard`)];
    const names = (p: typeof a) => p.playlist.segments.map((s) => s.uri);
    expect(names(a).every((uri) => !names(b).includes(uri))).toBe(true);
    // Nobody published `default`: its original path answers as it always did, with nothing listed.
    expect((await fetchPlaylist(url)).playlist.segments).toHaveLength(0);
    const { streams } = (await (await fetch(`${url}/streams.json`)).json()) as { streams: Array<Record<string, unknown>> };
    const byName = Object.fromEntries(streams.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['default', 'door', 'yard']);
    for (const name of ['door', 'yard']) {
      expect(byName[name]).toMatchObject({ state: 'live', publisher: true, urls: { hls: `/live/${name}/stream.m3u8`, mjpeg: `/live/${name}/mjpeg` } });
      expect(byName[name]!.segments as number).toBeGreaterThanOrEqual(2);
      expect(Date.parse(byName[name]!.lastProgramDateTime as string)).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it('plays both in Chromium, each from its own /?stream=', async () => {
    const pages = await Promise.all([browser.newPage(), browser.newPage()]);
    try {
      await Promise.all([pages[0]!.goto(`${url}/?stream=door`), pages[1]!.goto(`${url}/?stream=yard`)]);
      for (const page of pages) {
        const start = await waitForPlayback(page, 0.1, 0);
        const later = await waitForPlayback(page, 2, start.currentTime);
        expect(later.fatal, JSON.stringify(later.errors)).toBe(0);
      }
      expect((await viewerStatus(pages[0]!)).stream).toBe('door');
      expect(await pages[1]!.evaluate(() => document.querySelector('#source')?.textContent)).toBe('live/yard/stream.m3u8');
    } finally {
      await Promise.all(pages.map((p) => p.close()));
    }
  }, 120_000);

  it('shows the grid of live thumbnails at /, and a click plays that stream', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${url}/`);
      await waitFor('the grid', async () => ((await viewerStatus(page)).mode === 'grid' ? true : undefined), 20_000);
      expect((await viewerStatus(page)).streams.sort()).toEqual(['door', 'yard']);
      // Each card's thumbnail is a real JPEG from its own publisher (the snapshot, refreshed).
      for (const name of ['door', 'yard']) {
        await waitFor(
          `${name}'s thumbnail`,
          async () =>
            (await page.locator(`a.card[data-stream="${name}"] img`).evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)) === 320
              ? true
              : undefined,
          30_000,
        );
        expect(await page.locator(`a.card[data-stream="${name}"] .badge`).textContent()).toBe('live');
      }
      await page.locator('a.card[data-stream="yard"]').click();
      await page.waitForURL(/\?stream=yard$/);
      const start = await waitForPlayback(page, 0.1, 0);
      const later = await waitForPlayback(page, 1, start.currentTime);
      expect(later.fatal, JSON.stringify(later.errors)).toBe(0);
      expect((await viewerStatus(page)).mode).toBe('player');
    } finally {
      await page.close();
    }
  }, 120_000);

  it('leaves yard untouched when door gets bad input and its publisher is SIGKILLed', async () => {
    const yardBefore = await fetchPlaylist(`${url}/live/yard`);
    const firstUri = yardBefore.playlist.segments.at(-1)!.uri;
    const firstBytes = Buffer.from(await (await fetch(`${url}/live/yard/${firstUri}`)).arrayBuffer());
    const session = firstUri
      .replace(/^segments\//, '')
      .split('-')[0]!
      .replace(/r\d+$/, '');
    const bad = await fetch(`${url}/publish/door-evil.ts/2`, {
      method: 'POST',
      headers: { 'X-Stream': 'door', 'Content-Type': 'video/mp2t' },
      body: 'not mpeg-ts',
    });
    expect(bad.status).toBe(415);
    const badName = await fetch(`${url}/publish/x.ts/2`, { method: 'POST', headers: { 'X-Stream': 'Door!' }, body: 'x' });
    expect(badName.status).toBe(400);
    door.child.kill('SIGKILL');
    await door.exited;
    const doorSeq = await lastSequence(url, 'door');
    // yard's window moves on, and no segment of it was lost or changed in the meantime.
    const yardSeq = yardBefore.playlist.mediaSequenceBase! + yardBefore.playlist.segments.length - 1;
    await waitFor('2 new yard segments', async () => ((await lastSequence(url, 'yard')) >= yardSeq + 2 ? true : undefined), 30_000);
    const yardAfter = await fetchPlaylist(`${url}/live/yard`);
    const kept = yardBefore.playlist.segments.filter((s) => yardAfter.playlist.segments.some((t) => t.uri === s.uri));
    for (const segment of kept) expect(yardAfter.playlist.segments.find((t) => t.uri === segment.uri)!.duration).toBe(segment.duration);
    // Still the same publisher run (an encoder restart of its own would add `r<n>`, never a new id),
    // and the same bytes for a segment fetched before.
    for (const segment of yardAfter.playlist.segments) expect(segment.uri).toContain(`segments/${session}`);
    expect(Buffer.from(await (await fetch(`${url}/live/yard/${firstUri}`)).arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(await lastSequence(url, 'door')).toBe(doorSeq);
    door = startPublisher(url, [...publisherArgs, '--stream', 'door']);
    await waitFor('door back', async () => ((await lastSequence(url, 'door')) > doorSeq ? true : undefined), 60_000);
    expect((await fetchPlaylist(`${url}/live/door`)).text).toMatch(/^#EXT-X-DISCONTINUITY$/m);
  }, 120_000);

  it('restores both streams after a streamer restart, and both go on', async () => {
    const before = { door: await fetchPlaylist(`${url}/live/door`), yard: await fetchPlaylist(`${url}/live/yard`) };
    await streamer.close();
    streamer = createStreamer({ mediaDir, logLevel: 'warn' });
    await streamer.listen(port, '127.0.0.1');
    for (const name of ['door', 'yard'] as const) {
      const after = await fetchPlaylist(`${url}/live/${name}`);
      // The restored window starts where the old one was (segments may have arrived since).
      expect(after.playlist.mediaSequenceBase).toBeGreaterThanOrEqual(before[name].playlist.mediaSequenceBase!);
      expect(after.playlist.segments.map((s) => s.uri)).toContain(before[name].playlist.segments.at(-1)!.uri);
      const seq = await lastSequence(url, name);
      await waitFor(`${name} goes on`, async () => ((await lastSequence(url, name)) > seq ? true : undefined), 30_000);
    }
  }, 90_000);
});
