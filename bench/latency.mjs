#!/usr/bin/env node
// Glass to glass in headless Chromium: the viewer page's own figure (wall clock minus hls.js's
// `playingDate`, the program date-time of the frame on screen), sampled every 500 ms, with
// hls.js defaults and with `?latency=low`. A live publisher (--input test, 2 s segments) feeds a
// streamer; both run on this machine, so one clock. Uses the built packages: run `pnpm -r build` first.
//   node bench/latency.mjs [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, load, median, percentile, quick, round, saveResult, sleep, startPublisher, startStreamer, stop, waitForSegments } from './lib.mjs';

const seconds = quick ? 20 : 60;
const CONFIGS = [
  { name: 'hls.js defaults', query: '' },
  { name: 'tuned (?latency=low)', query: '?latency=low' },
];

const dir = await mkdtemp(join(tmpdir(), 'bench-latency-'));
let streamer;
let publisher;
let browser;
try {
  streamer = await startStreamer([], { mediaDir: join(dir, 'media') });
  publisher = await startPublisher(streamer.url, ['--input', 'test', '--detector', 'off', '--segment-seconds', '2']);
  await waitForSegments(streamer.url, 3);
  browser = await launchChromium();
  const results = [];
  for (const config of CONFIGS) {
    const page = await browser.newPage();
    const loadBefore = load();
    await page.goto(`${streamer.url}/${config.query}`);
    await page.waitForFunction(() => window.viewer?.state === 'playing' && window.viewer.latency !== null, null, { timeout: 60_000 });
    // Let the player settle into its live position before sampling.
    await sleep(quick ? 3000 : 6000);
    const samples = [];
    const stalls = [];
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      const status = await page.evaluate(() => ({
        latency: window.viewer.latency,
        state: window.viewer.state,
        buffer: window.viewer.buffer,
        bitrate: window.viewer.bitrate,
      }));
      if (status.latency !== null) samples.push(status.latency);
      if (status.state !== 'playing') stalls.push(status.state);
      await sleep(500);
    }
    const last = await page.evaluate(() => ({
      bitrate: window.viewer.bitrate,
      bandwidthEstimate: window.viewer.bandwidthEstimate,
      fatal: window.viewer.fatal,
      engine: window.viewer.engine,
    }));
    await page.close();
    const result = {
      config: config.name,
      url: `/${config.query}`,
      samples: samples.length,
      medianSeconds: round(median(samples), 2),
      p95Seconds: round(percentile(samples, 0.95), 2),
      minSeconds: round(Math.min(...samples), 2),
      maxSeconds: round(Math.max(...samples), 2),
      notPlayingSamples: stalls.length,
      ...last,
      loadBefore,
      loadAfter: load(),
    };
    results.push(result);
    console.log(
      `[latency] ${config.name}: median ${result.medianSeconds} s, p95 ${result.p95Seconds} s over ${samples.length} samples, load ${result.loadAfter[0]}`,
    );
  }
  await saveResult('latency', {
    what: 'Glass to glass in headless Chromium: wall clock - hls.js playingDate (EXT-X-PROGRAM-DATE-TIME of the frame on screen), every 500 ms',
    command: `node bench/latency.mjs${quick ? ' --quick' : ''}`,
    settings: { seconds, segmentSeconds: 2, window: 10, input: 'test (testsrc2 640x480 30 fps)' },
    targets: { medianSeconds: 6 },
    load: { end: load() },
    results,
  });
} finally {
  await browser?.close();
  await stop(publisher?.child);
  await stop(streamer?.child);
  await rm(dir, { recursive: true, force: true });
}
