#!/usr/bin/env node
// Low-Latency HLS glass to glass in headless Chromium: the viewer page's figure (wall clock minus
// hls.js `playingDate`, the program date-time of the frame on screen, which the publisher takes
// from the capture clock of each segment's first frame), sampled every 500 ms, for parts of 0.2,
// 0.33 and 0.5 s and for classic HLS. Each configuration gets a fresh streamer and publisher
// (--input test, 640x480, 30 fps, 2 s segments, one machine and one clock) and hls.js defaults
// (lowLatencyMode on). Uses the built packages: run `pnpm -r build` first.
//   node bench/ll-latency.mjs [--seconds 60] [--only 0.2,classic] [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium, load, median, percentile, round, saveResult, sleep, startPublisher, startStreamer, stop, waitForSegments } from './lib.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' } } });
const seconds = Number(values.seconds ?? (values.quick ? 20 : 60));
// 0.33 s at 30 fps is rounded by the publisher to 10 frames (0.333333 s): six parts make the 2 s segment.
const CONFIGS = [
  { name: '0.2', partSeconds: '0.2' },
  { name: '0.33', partSeconds: '0.33' },
  { name: '0.5', partSeconds: '0.5' },
  { name: 'classic', partSeconds: undefined },
].filter((c) => !values.only || values.only.split(',').includes(c.name));

async function measure(browser, config) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-ll-'));
  let streamer;
  let publisher;
  try {
    streamer = await startStreamer([], { mediaDir: join(dir, 'media') });
    const parts = config.partSeconds ? ['--part-seconds', config.partSeconds] : [];
    publisher = await startPublisher(streamer.url, ['--input', 'test', '--detector', 'off', '--fps', '30', '--segment-seconds', '2', ...parts]);
    await waitForSegments(streamer.url, 2);
    const page = await browser.newPage();
    const loadBefore = load();
    await page.goto(`${streamer.url}/`);
    await page.waitForFunction(() => window.viewer?.state === 'playing' && window.viewer.latency !== null, null, { timeout: 60_000 });
    // Let the player settle into its live position before sampling.
    await sleep(5000);
    const samples = [];
    let notPlaying = 0;
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      const status = await page.evaluate(() => ({ latency: window.viewer.latency, state: window.viewer.state }));
      if (status.latency !== null) samples.push(status.latency);
      if (status.state !== 'playing') notPlaying++;
      await sleep(500);
    }
    const last = await page.evaluate(() => ({
      targetLatency: window.viewer.targetLatency,
      partTarget: window.viewer.partTarget,
      fatal: window.viewer.fatal,
      stalls: window.viewer.errors.filter((e) => /BUFFER_STALLED/.test(e.text)).length,
      errors: [...new Set(window.viewer.errors.map((e) => e.text))],
      engine: window.viewer.engine,
    }));
    await page.close();
    return {
      config: config.partSeconds ? `parts of ${config.name} s` : 'classic (no parts)',
      partSeconds: config.partSeconds ? Number(config.partSeconds) : null,
      samples: samples.length,
      medianSeconds: round(median(samples), 3),
      p95Seconds: round(percentile(samples, 0.95), 3),
      minSeconds: round(Math.min(...samples), 3),
      maxSeconds: round(Math.max(...samples), 3),
      notPlayingSamples: notPlaying,
      ...last,
      targetLatency: round(last.targetLatency, 3),
      loadBefore,
      loadAfter: load(),
    };
  } finally {
    await stop(publisher?.child);
    await stop(streamer?.child);
    await rm(dir, { recursive: true, force: true });
  }
}

let browser;
try {
  browser = await launchChromium();
  const results = [];
  for (const config of CONFIGS) {
    const result = await measure(browser, config);
    results.push(result);
    console.log(
      `[ll-latency] ${result.config}: median ${result.medianSeconds} s, p95 ${result.p95Seconds} s, target ${result.targetLatency} s, stalls ${result.stalls}, over ${result.samples} samples, load ${result.loadAfter.join(' ')}`,
    );
  }
  await saveResult('ll-latency', {
    what: 'Glass to glass in headless Chromium with hls.js (lowLatencyMode): wall clock - hls.js playingDate, every 500 ms',
    command: `node bench/ll-latency.mjs --seconds ${seconds}${values.only ? ` --only ${values.only}` : ''}`,
    settings: { seconds, segmentSeconds: 2, fps: 30, window: 10, input: 'test (testsrc2 640x480 30 fps)', partHoldBack: '3 x part target' },
    targets: { medianSecondsWithParts0_2: 1.0 },
    load: { end: load() },
    results,
  });
} finally {
  await browser?.close();
}
