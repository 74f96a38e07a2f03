// Two hls.js players in one page, created in one task, each on its own playlist URL: a player's
// latency is set when (and where in a segment) it joins, so two players compare only when they join
// alike, which two tabs on two busy cores do not. What is left between them is what their paths
// add (an edge cache against the origin). The page is any page of `base` (its hls.js is loaded
// from `${base}/vendor/hls.min.js`); the latency is the wall clock minus hls.js's `playingDate`.
import type { Browser } from 'playwright-core';
import { waitFor } from './playlist.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;

export interface PairResult {
  /** Median latency (s) of each player, in the order of `sources`. */
  medians: number[];
  /** Fatal hls.js errors of each player while sampled. */
  fatal: number[];
}

/**
 * Starts one player per URL in `sources` (right after `beforeStart`, e.g. a wait for the moment to
 * join), waits until all play, lets them settle `settleMs`, then samples their latency `samples`
 * times every 500 ms.
 */
export async function playTogether(
  browser: Browser,
  base: string,
  sources: string[],
  {
    settleMs = 2000,
    samples = 10,
    config = {},
    beforeStart,
  }: { settleMs?: number; samples?: number; config?: Record<string, unknown>; beforeStart?: () => Promise<void> } = {},
): Promise<PairResult> {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/healthz`);
    await page.addScriptTag({ url: `${base}/vendor/hls.min.js` });
    await beforeStart?.();
    await page.evaluate(
      ([urls, options]) => {
        type Hls = {
          playingDate: Date | null;
          loadSource(url: string): void;
          attachMedia(v: HTMLVideoElement): void;
          on(event: string, f: (e: unknown, d: { fatal: boolean }) => void): void;
        };
        const w = window as unknown as { Hls: new (config: object) => Hls; players: { hls: Hls; fatal: number }[] };
        w.players = urls.map((src) => {
          const video = document.createElement('video');
          video.muted = true;
          document.body.append(video);
          const hls = new w.Hls(options);
          const player = { hls, fatal: 0 };
          hls.on('hlsError', (_e, data) => {
            if (data.fatal) player.fatal++;
          });
          hls.loadSource(src);
          hls.attachMedia(video);
          void video.play().catch(() => {});
          return player;
        });
      },
      [sources, config] as const,
    );
    const read = () =>
      page.evaluate(() =>
        (window as unknown as { players: { hls: { playingDate: Date | null }; fatal: number }[] }).players.map((p) => ({
          latency: p.hls.playingDate ? (Date.now() - p.hls.playingDate.getTime()) / 1000 : null,
          fatal: p.fatal,
        })),
      );
    await waitFor('all players playing', async () => ((await read()).every((p) => p.latency !== null) ? true : undefined), 60_000);
    await sleep(settleMs);
    const latencies: number[][] = sources.map(() => []);
    let last: { latency: number | null; fatal: number }[] = [];
    for (let i = 0; i < samples; i++) {
      last = await read();
      for (const [k, p] of last.entries()) latencies[k]!.push(p.latency!);
      await sleep(500);
    }
    return { medians: latencies.map(median), fatal: last.map((p) => p.fatal) };
  } finally {
    await page.close();
    // A blocking reload the players left held at the origin (or the edge's request for it) is
    // answered when the next part comes: let those finish before the caller counts requests.
    await sleep(1500);
  }
}
