// A real streamer process, a real publisher and 200 simulated viewers on loopback, each polling
// the playlist every second and fetching every new segment. LOAD_SECONDS sets the length (20 s
// here; bench/load.mjs runs the full 60 s). Asserted: zero failed requests and bounded streamer
// memory. Latency is printed, not asserted: speed targets live in benchmarks.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startViewers } from '../../../bench/viewers.mjs';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { startPublisher, startStreamerProcess, stopAll, type Spawned } from './helpers/processes.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const VIEWERS = Number(process.env.LOAD_VIEWERS ?? 200);

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

describe(`load: ${VIEWERS} viewers for ${SECONDS} s`, () => {
  const running: Spawned[] = [];
  let mediaDir = '';
  afterAll(async () => {
    await stopAll(...running);
    if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
  });

  it('serves every request and keeps streamer memory bounded', async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'e2e-load-'));
    const streamer = startStreamerProcess(['--port', '0', '--host', '127.0.0.1', '--media-dir', mediaDir, '--log-level', 'info']);
    running.push(streamer);
    const url = await waitFor('the streamer URL', async () => /"url":"(http:[^"]+)"/.exec(streamer.output())?.[1]);
    const publisher = startPublisher(url, [
      '--input',
      'test',
      '--size',
      '320x240',
      '--fps',
      '15',
      '--segment-seconds',
      '1',
      '--detector',
      'off',
      '--mjpeg',
      'off',
    ]);
    running.push(publisher);
    await waitFor('3 segments', async () => ((await fetchPlaylist(url)).playlist.segments.length >= 3 ? true : undefined), 60_000);

    const pid = streamer.child.pid!;
    const rssStart = rssMiB(pid);
    const viewers = startViewers(url, { count: VIEWERS, pollMs: 1000 });
    const samples: number[] = [];
    for (let t = 0; t < SECONDS; t += 5) {
      await new Promise((r) => setTimeout(r, Math.min(5, SECONDS - t) * 1000));
      samples.push(rssMiB(pid));
    }
    const result = await viewers.stop();
    const rssEnd = rssMiB(pid);
    console.info(
      `load ${VIEWERS} viewers x ${SECONDS} s: ${result.playlistRequests} playlist + ${result.segmentRequests} segment requests, ` +
        `${result.failed} failed (${result.retried} retried on a reset keep-alive socket), playlist latency p50 ${result.playlistLatencyMs.p50?.toFixed(1)} ms p99 ${result.playlistLatencyMs.p99?.toFixed(1)} ms ` +
        `max ${result.playlistLatencyMs.max?.toFixed(1)} ms, streamer RSS ${rssStart.toFixed(0)} -> ${rssEnd.toFixed(0)} MiB (samples ${samples.map((s) => s.toFixed(0)).join(', ')})`,
    );
    expect(result.failures).toEqual([]);
    expect(result.failed).toBe(0);
    // Every viewer polled at least a few times: the load was really applied.
    expect(result.playlistRequests).toBeGreaterThan(VIEWERS * (SECONDS / 2));
    expect(result.segmentRequests).toBeGreaterThan(VIEWERS);
    // Generous: the window holds ~10 small segments; growth past this would be a leak per request.
    expect(rssEnd - rssStart).toBeLessThan(150);
  });
});
