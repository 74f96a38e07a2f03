#!/usr/bin/env node
// Memory: RSS of the streamer and the publisher (node process, and its ffmpeg children apart)
// while 50 simple viewers poll the playlist every target duration and fetch each new segment,
// for 10 minutes (1 with --quick). Uses the built packages: run `pnpm -r build` first.
//   node bench/memory.mjs [--quick] [--viewers 50] [--minutes 10]
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  commandName,
  get,
  load,
  parseMetrics,
  processTree,
  quick,
  round,
  rssMiB,
  saveResult,
  segmentNames,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  waitForSegments,
} from './lib.mjs';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, viewers: { type: 'string', default: '50' }, minutes: { type: 'string' } } });
const viewers = Number(values.viewers);
const minutes = Number(values.minutes ?? (quick ? 1 : 10));
const sampleEveryMs = quick ? 10_000 : 30_000;

function fetchAll(url, agent, userAgent) {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers: { 'User-Agent': userAgent } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes, body: undefined }));
      res.on('error', () => resolve({ status: 0, bytes }));
    });
    req.on('error', () => resolve({ status: 0, bytes: 0 }));
    req.end();
  });
}

// A player in its simplest form: the playlist every 2 s, then every segment it has not loaded.
async function viewer(base, index, until, totals) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const userAgent = `bench-viewer/${index}`;
  const loaded = new Set();
  let first = true;
  await sleep(Math.random() * 2000);
  while (Date.now() < until) {
    const res = await new Promise((resolve) => {
      const req = request(`${base}/stream.m3u8`, { agent, headers: { 'User-Agent': userAgent } }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', () => resolve({ status: 0, text: '' }));
      req.end();
    });
    totals.playlists++;
    const names = res.status === 200 ? segmentNames(res.text) : [];
    // A joining player starts near the live edge, not at the start of the window.
    for (const name of first ? names.slice(-1) : names) {
      if (loaded.has(name)) continue;
      loaded.add(name);
      const segment = await fetchAll(`${base}/${name}`, agent, userAgent);
      totals.segments++;
      totals.bytes += segment.bytes;
      if (segment.status !== 200) totals.errors++;
    }
    if (names.length) first = false;
    for (const name of loaded) if (!names.includes(name) && loaded.size > 20) loaded.delete(name);
    await sleep(2000);
  }
  agent.destroy();
}

const dir = await mkdtemp(join(tmpdir(), 'bench-memory-'));
let streamer;
let publisher;
try {
  streamer = await startStreamer([], { mediaDir: join(dir, 'media') });
  publisher = await startPublisher(streamer.url, ['--input', 'test', '--detector', 'off']);
  await waitForSegments(streamer.url, 2);
  const sample = (t) => {
    const children = processTree(publisher.child.pid).slice(1);
    return {
      atSeconds: t,
      streamerRssMiB: rssMiB(streamer.child.pid),
      publisherRssMiB: rssMiB(publisher.child.pid),
      publisherChildrenRssMiB: round(
        children.reduce((sum, pid) => sum + (rssMiB(pid) ?? 0), 0),
        1,
      ),
      publisherChildren: children.map(commandName),
      load: load(),
    };
  };
  const samples = [sample(0)];
  const totals = { playlists: 0, segments: 0, bytes: 0, errors: 0 };
  const started = Date.now();
  const until = started + minutes * 60_000;
  console.log(`[memory] ${viewers} viewers for ${minutes} min`);
  const running = Promise.all(Array.from({ length: viewers }, (_, i) => viewer(streamer.url, i, until, totals)));
  while (Date.now() < until) {
    await sleep(Math.min(sampleEveryMs, Math.max(0, until - Date.now())));
    const s = sample(Math.round((Date.now() - started) / 1000));
    samples.push(s);
    console.log(
      `[memory] t=${s.atSeconds}s streamer ${s.streamerRssMiB} MiB, publisher ${s.publisherRssMiB} MiB (+ffmpeg ${s.publisherChildrenRssMiB} MiB), load ${s.load[0]}`,
    );
  }
  const metrics = parseMetrics((await get(`${streamer.url}/metrics`)).body.toString());
  await running;
  const end = samples.at(-1);
  await saveResult('memory', {
    what: `RSS after ${minutes} min of streaming (--input test, 640x480 30 fps, 2 s segments) with ${viewers} polling viewers`,
    command: `node bench/memory.mjs${quick ? ' --quick' : ''}`,
    settings: { viewers, minutes, pollSeconds: 2 },
    load: { end: load() },
    summary: {
      streamerRssMiB: end.streamerRssMiB,
      publisherRssMiB: end.publisherRssMiB,
      publisherChildrenRssMiB: end.publisherChildrenRssMiB,
      streamerRssStartMiB: samples[0].streamerRssMiB,
      publisherRssStartMiB: samples[0].publisherRssMiB,
      activeViewers: metrics['hls_active_viewers{stream="default"}'],
      segmentsServed: metrics['hls_segments_served_total{stream="default"}'],
    },
    totals,
    samples,
  });
} finally {
  await stop(publisher?.child);
  await stop(streamer?.child);
  await rm(dir, { recursive: true, force: true });
}
