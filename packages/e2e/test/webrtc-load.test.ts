// Many WebRTC viewers at once: 20 receive-only node-datachannel peers and Chromium watch a real
// publisher through a real streamer process for 30 s; none starves. Sessions that came and went
// leave nothing behind: a second crowd of 20 takes the streamer's memory no higher than the first
// left it (the allocator keeps freed pages, so RSS does not drop to its first level), and its open
// files (sockets among them) are as many as before any viewer came.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, WEBRTC_LOOPBACK_ARGS } from './helpers/browser.js';
import { startPublisher, startStreamerProcess, stopAll, type Spawned } from './helpers/processes.js';
import { freeUdpPort, watchWithPeer, type PeerViewer } from './helpers/webrtc.js';

const PEERS = 20;
const WATCH_MS = 30_000;
/** What "back to baseline" allows: the RSS after the first crowd left, plus this. */
const RSS_TOLERANCE_BYTES = 16 * 1024 * 1024;

function openFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(/(\d+)/.exec(line)![1]) * 1024;
}

async function sessions(url: string): Promise<number> {
  return Number(/^hls_webrtc_sessions_active (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
}

async function waitFor(what: string, ok: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('WebRTC under load', () => {
  let streamer: Spawned | undefined;
  let publisher: Spawned | undefined;
  let browser: Browser | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await browser?.close();
    await stopAll(publisher, streamer);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`${PEERS} node-datachannel peers and Chromium for 30 s: no peer starves; memory and sockets do not grow with sessions that came and went`, async () => {
    dir = await mkdtemp(join(tmpdir(), 'webrtc-load-'));
    const port = 18_000 + Math.floor(Math.random() * 2000);
    const url = `http://127.0.0.1:${port}`;
    streamer = startStreamerProcess([
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--media-dir',
      join(dir, 'media'),
      '--log-level',
      'warn',
      '--webrtc',
      '--webrtc-host',
      '127.0.0.1',
      '--webrtc-port',
      String(await freeUdpPort()),
    ]);
    await waitFor('the streamer', async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true, 15_000);
    publisher = startPublisher(url, ['--input', 'test', '--size', '640x480', '--fps', '30', '--detector', 'off', '--mjpeg', 'off']);
    await waitFor('the stream live', async () => ((await (await fetch(`${url}/healthz`)).json()) as { live?: boolean }).live === true, 30_000);
    const pid = streamer.child.pid!;

    // Baseline: the library loaded and one session come and gone, then settled.
    const warm = await watchWithPeer(url);
    await waitFor('the warm-up frames', async () => warm.frames > 30, 10_000);
    await warm.leave();
    await waitFor('no sessions', async () => (await sessions(url)) === 0, 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    const files = openFiles(pid);

    const peers: PeerViewer[] = [];
    for (let i = 0; i < PEERS; i++) peers.push(await watchWithPeer(url));
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    const page = await browser.newPage();
    await page.goto(`${url}/?view=webrtc`);
    const started = peers.map((p) => p.frames);
    await new Promise((r) => setTimeout(r, WATCH_MS));
    const peak = rss(pid);
    const decoded = await page.evaluate(
      () =>
        (document.querySelector('video') as HTMLVideoElement & { getVideoPlaybackQuality(): VideoPlaybackQuality }).getVideoPlaybackQuality().totalVideoFrames,
    );
    expect(await sessions(url)).toBe(PEERS + 1);

    // 30 fps for 30 s is 900 frames: every peer got at least 80 % of them, never a second without one.
    const got = peers.map((p, i) => p.frames - started[i]!);
    expect(Math.min(...got), `frames per peer: ${got.join(' ')}`).toBeGreaterThan(0.8 * 30 * (WATCH_MS / 1000));
    expect(Math.max(...peers.map((p) => p.longestGapMs))).toBeLessThan(1000);
    expect(decoded).toBeGreaterThan(0.8 * 30 * (WATCH_MS / 1000));

    await Promise.all(peers.map((p) => p.leave()));
    await page.close();
    await waitFor('every session gone', async () => (await sessions(url)) === 0, 15_000);
    await new Promise((r) => setTimeout(r, 3000));
    const baseline = rss(pid);
    // Not more than before (one fewer happens: a keep-alive connection of this test's own HTTP
    // client to the streamer, open at the baseline, may have timed out since).
    expect(openFiles(pid)).toBeLessThanOrEqual(files);

    // A second crowd, come and gone.
    const again: PeerViewer[] = [];
    for (let i = 0; i < PEERS; i++) again.push(await watchWithPeer(url));
    await new Promise((r) => setTimeout(r, 10_000));
    expect(Math.min(...again.map((p) => p.frames))).toBeGreaterThan(0.8 * 30 * 10);
    await Promise.all(again.map((p) => p.leave()));
    await waitFor('every session gone', async () => (await sessions(url)) === 0, 15_000);
    await new Promise((r) => setTimeout(r, 3000));
    const after = rss(pid);
    console.log(
      `streamer RSS: ${(peak / 2 ** 20).toFixed(1)} MiB with ${PEERS + 1} viewers, ${(baseline / 2 ** 20).toFixed(1)} MiB after they left, ${(after / 2 ** 20).toFixed(1)} MiB after ${PEERS} more came and went; open files ${files} -> ${openFiles(pid)}`,
    );
    expect(after).toBeLessThan(baseline + RSS_TOLERANCE_BYTES);
    expect(openFiles(pid)).toBeLessThanOrEqual(files);
  }, 120_000);
});
