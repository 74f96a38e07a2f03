#!/usr/bin/env node
// Soak (not part of CI): a streamer, a publisher and simulated viewers for a long time, writing
// the memory (RSS) of both processes over time to bench/results/soak.json.
//   node bench/soak.mjs [--minutes 60] [--viewers 50] [--every 30]
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processTree, rssMiB, saveResult, sleep, startPublisher, startStreamer, stop, waitForSegments } from './lib.mjs';
import { startViewers } from './viewers.mjs';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '60' }, viewers: { type: 'string', default: '50' }, every: { type: 'string', default: '30' } },
});
const minutes = Number(values.minutes);
const everyMs = Number(values.every) * 1000;

const mediaDir = await mkdtemp(join(tmpdir(), 'soak-'));
const streamer = await startStreamer([], { mediaDir });
const publisher = await startPublisher(streamer.url, ['--input', 'test', '--size', '640x480', '--fps', '25', '--detector', 'off']);
await waitForSegments(streamer.url, 3);
const viewers = startViewers(streamer.url, { count: Number(values.viewers) });
const started = Date.now();
const samples = [];
const ffmpegRss = () =>
  processTree(publisher.child.pid)
    .filter((p) => p !== publisher.child.pid)
    .reduce((sum, p) => sum + (rssMiB(p) ?? 0), 0);
console.error(`soak: ${minutes} min, ${values.viewers} viewers, a sample every ${values.every} s`);
while (Date.now() - started < minutes * 60_000) {
  await sleep(everyMs);
  const latency = viewers.sample();
  const sample = {
    minute: Math.round((Date.now() - started) / 600) / 100,
    streamerRssMiB: rssMiB(streamer.child.pid),
    publisherRssMiB: rssMiB(publisher.child.pid),
    ffmpegRssMiB: Math.round(ffmpegRss()),
    playlistP99Ms: latency.p99 === null ? null : Math.round(latency.p99 * 10) / 10,
    requests: viewers.totals.playlistRequests + viewers.totals.segmentRequests,
    failed: viewers.totals.failed,
  };
  samples.push(sample);
  console.error(JSON.stringify(sample));
}
const totals = await viewers.stop();
await stop(publisher.child);
await stop(streamer.child);
await rm(mediaDir, { recursive: true, force: true });
const first = samples[0];
const last = samples.at(-1);
await saveResult('soak', {
  // Which code ran: an hour-long run is rarely repeated for every commit.
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  minutes,
  viewers: Number(values.viewers),
  samples,
  totals,
  growthMiB: first && last ? { streamer: last.streamerRssMiB - first.streamerRssMiB, publisher: last.publisherRssMiB - first.publisherRssMiB } : null,
});
console.error(`soak: done; ${totals.failed} failed of ${totals.playlistRequests + totals.segmentRequests} requests; bench/results/soak.json`);
