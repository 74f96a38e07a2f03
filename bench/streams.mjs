#!/usr/bin/env node
// Many streams, one streamer (issue 13): 10 named streams, each fed by a real publisher (direct
// pipeline, small frames) and read by 20 simulated HLS viewers (bench/viewers.mjs) for 30 s;
// errors, playlist latency, and the streamer's memory per stream (RSS and V8 heap, against the
// same streamer holding only `default`). Then capture on demand: a real `--on-demand` publisher,
// the time from a viewer's first playlist request to a playlist listing a segment (2 s segments;
// target 4 s), and with 0.5 s parts. Uses the built packages: run `pnpm -r build` first.
//   node bench/streams.mjs [--quick] [--streams 10] [--viewers 20] [--seconds 30] [--starts 3]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startViewers } from './viewers.mjs';
import {
  get,
  median,
  parseMetrics,
  PUBLISHER_BIN,
  quick,
  round,
  rssMiB,
  saveResult,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  waitForSegments,
} from './lib.mjs';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, streams: { type: 'string' }, viewers: { type: 'string' }, seconds: { type: 'string' }, starts: { type: 'string' } },
});
const STREAMS = Number(values.streams ?? (quick ? 4 : 10));
const VIEWERS = Number(values.viewers ?? 20);
const SECONDS = Number(values.seconds ?? (quick ? 10 : 30));
const STARTS = Number(values.starts ?? (quick ? 1 : 3));
const SEGMENT_SECONDS = 2;
const publisherArgs = [
  '--input',
  'test',
  '--size',
  '160x120',
  '--fps',
  '10',
  '--bitrate',
  '200k',
  '--segment-seconds',
  String(SEGMENT_SECONDS),
  '--detector',
  'off',
];

async function heapMiB(url) {
  const metrics = parseMetrics((await get(`${url}/metrics`)).body.toString());
  return round((metrics.nodejs_heap_size_used_bytes ?? 0) / 2 ** 20, 1);
}

/** The streamer's memory once it settles: RSS and V8 heap after a few seconds (GC gets its chance). */
async function memory(child, url) {
  await sleep(3000);
  return { rssMiB: rssMiB(child.pid), heapMiB: await heapMiB(url) };
}

async function manyStreams() {
  const mediaDir = await mkdtemp(join(tmpdir(), 'bench-streams-'));
  const streamer = await startStreamer([], { mediaDir });
  const publishers = [];
  const viewerSets = [];
  try {
    const baseline = await memory(streamer.child, streamer.url);
    const names = Array.from({ length: STREAMS }, (_, i) => `cam${i}`);
    for (const name of names) publishers.push(await startPublisher(streamer.url, [...publisherArgs, '--stream', name]));
    for (const name of names) await waitForSegments(`${streamer.url}/live/${name}`, 2);
    const published = await memory(streamer.child, streamer.url);
    for (const name of names) viewerSets.push(startViewers(`${streamer.url}/live/${name}`, { count: VIEWERS, pollMs: SEGMENT_SECONDS * 1000 }));
    await sleep(SECONDS * 1000);
    const loaded = { rssMiB: rssMiB(streamer.child.pid), heapMiB: await heapMiB(streamer.url) };
    const results = await Promise.all(viewerSets.splice(0).map((v) => v.stop()));
    const failures = results.flatMap((r) => r.failures);
    const perStream = (before, after) => round((after - before) / STREAMS, 2);
    const p99s = results.map((r) => r.playlistLatencyMs.p99).filter((x) => x !== null);
    return {
      streams: STREAMS,
      viewersPerStream: VIEWERS,
      seconds: SECONDS,
      playlistRequests: results.reduce((sum, r) => sum + r.playlistRequests, 0),
      segmentRequests: results.reduce((sum, r) => sum + r.segmentRequests, 0),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      failures: failures.slice(0, 10),
      playlistP50Ms: round(median(results.map((r) => r.playlistLatencyMs.p50).filter((x) => x !== null)), 2),
      playlistP99MsWorst: round(Math.max(...p99s), 2),
      memory: { baseline, published, loaded },
      perStreamMiB: { rss: perStream(baseline.rssMiB, published.rssMiB), heap: perStream(baseline.heapMiB, published.heapMiB) },
      perStreamLoadedMiB: { rss: perStream(baseline.rssMiB, loaded.rssMiB), heap: perStream(baseline.heapMiB, loaded.heapMiB) },
    };
  } finally {
    await Promise.all(viewerSets.map((v) => v.stop()));
    await Promise.all(publishers.map((p) => stop(p.child)));
    await stop(streamer.child);
    await rm(mediaDir, { recursive: true, force: true });
  }
}

/** A real `--on-demand` publisher, resolved once it waits for a viewer. */
function startOnDemand(url, args) {
  const child = spawn(process.execPath, [PUBLISHER_BIN, '--streamer', url, '--log-level', 'info', '--on-demand', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = createInterface({ input: child.stdout });
  const log = [];
  lines.on('line', (line) => {
    try {
      log.push(JSON.parse(line));
    } catch {}
  });
  return { child, log };
}

const hasVideo = (text) => /#EXTINF|#EXT-X-PART:/.test(text);

async function onDemand(label, extra) {
  const mediaDir = await mkdtemp(join(tmpdir(), 'bench-on-demand-'));
  const streamer = await startStreamer([], { mediaDir });
  const publisher = startOnDemand(streamer.url, [...publisherArgs, '--stream', 'sleepy', '--idle-seconds', '1', '--mjpeg', 'off', ...extra]);
  const starts = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      // Asleep: no capture process under the publisher.
      for (let waited = 0; ; waited += 250) {
        const streams = JSON.parse((await get(`${streamer.url}/streams.json`)).body.toString()).streams;
        const entry = streams.find((s) => s.name === 'sleepy');
        if (entry?.publisher && !entry.watched && publisher.log.filter((l) => /capture (started|stopped)/.test(l.msg ?? '')).length === 2 * i) break;
        if (waited > 60_000) throw new Error('the on-demand publisher did not go back to sleep');
        await sleep(250);
      }
      const began = performance.now();
      const first = await get(`${streamer.url}/live/sleepy/stream.m3u8`);
      let text = first.body.toString();
      // The first request waits (at most a few target durations); a player would reload at once.
      while (!hasVideo(text)) text = (await get(`${streamer.url}/live/sleepy/stream.m3u8`)).body.toString();
      starts.push({
        firstAnswerSeconds: round((performance.now() - began) / 1000, 3),
        firstHeldListed: hasVideo(first.body.toString()),
        discontinuity: /^#EXT-X-DISCONTINUITY$/m.test(text),
      });
    }
    return {
      label,
      args: extra,
      starts,
      medianSeconds: round(median(starts.map((s) => s.firstAnswerSeconds)), 3),
      maxSeconds: round(Math.max(...starts.map((s) => s.firstAnswerSeconds)), 3),
    };
  } finally {
    await stop(publisher.child);
    await stop(streamer.child);
    await rm(mediaDir, { recursive: true, force: true });
  }
}

const load = await manyStreams();
console.log(
  `[streams] ${STREAMS} streams x ${VIEWERS} viewers, ${SECONDS} s: ${load.failed} failed, ${load.perStreamMiB.rss} MiB RSS / ${load.perStreamMiB.heap} MiB heap per stream`,
);
const onDemandRuns = [await onDemand('2 s segments', []), await onDemand('2 s segments, 0.5 s parts', ['--part-seconds', '0.5'])];
for (const run of onDemandRuns)
  console.log(`[streams] on demand, ${run.label}: first video listed after ${run.medianSeconds} s (median of ${run.starts.length}), max ${run.maxSeconds} s`);
await saveResult('streams', {
  command: `node bench/streams.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  load,
  onDemand: onDemandRuns,
  targets: { failed: 0, onDemandFirstSegmentSeconds: 4 },
  ok: load.failed === 0 && onDemandRuns.every((r) => r.maxSeconds <= 4),
});
