#!/usr/bin/env node
// The edge tier (deploy/nginx/hls-edge.conf.template on the distribution's nginx) against direct
// to the origin streamer, all on this machine's loopback:
//   1. wrk on the playlist and on a segment, direct and through one edge: requests/s, p50/p99,
//      and the requests/s that reached the origin meanwhile (the origin's own /metrics counters);
//   2. simulated viewers (bench/viewers.mjs, each polling the playlist every second and fetching
//      every new segment) in growing steps, direct and spread over two edges: the most held with
//      no failed request and a playlist p99 under a segment (2 s), and the origin's requests/s;
//   3. the latency each tier adds: per request (wrk p50, edge hit minus direct), the age of the
//      plain playlist at the edge (a new segment or part seen directly vs through the edge), glass
//      to glass in Chromium (hls.js playingDate, two tabs started together, direct and through an
//      edge) for classic HLS and LL-HLS 0.2 s parts (alone, and with 20 other LL players on the
//      edge), and the wait of collapsed identical blocking reloads.
// Uses the built packages: run `pnpm -r build` first (pnpm bench does).
//   node bench/edge.mjs [--quick]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  get,
  launchChromium,
  load,
  median,
  parseMetrics,
  percentile,
  quick,
  round,
  saveResult,
  segmentNames,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  waitForSegments,
  wrk,
} from './lib.mjs';
import { startEdge } from './nginx-edge.mjs';
import { startViewers } from './viewers.mjs';

const WRK_SECONDS = quick ? 5 : 10;
const WRK_CONNECTIONS = 50;
const STEP_SECONDS = quick ? 10 : 20;
const STEPS = quick ? [250, 1000] : [250, 500, 1000, 2000, 3000];
const LATENCY_SECONDS = quick ? 10 : 30;

async function originCounts(url) {
  const metrics = parseMetrics((await get(`${url}/metrics`)).body.toString());
  const sum = (name) =>
    Object.entries(metrics)
      .filter(([key]) => key === name || key.startsWith(`${name}{`))
      .reduce((s, [, v]) => s + v, 0);
  return { playlist: sum('hls_playlist_requests_total'), segments: sum('hls_segment_requests_total'), at: Date.now() };
}

const perSecond = (before, after, key) => round((after[key] - before[key]) / ((after.at - before.at) / 1000), 2);

/** Starts an origin and a publisher; `parts` turns on LL-HLS. */
async function startOrigin(dir, parts) {
  const streamer = await startStreamer([], { mediaDir: join(dir, 'media') });
  const publisher = await startPublisher(streamer.url, [
    '--input',
    'test',
    '--detector',
    'off',
    '--fps',
    '30',
    '--segment-seconds',
    '2',
    ...(parts ? ['--part-seconds', parts] : []),
  ]);
  await waitForSegments(streamer.url, 3);
  return { streamer, publisher, address: new URL(streamer.url).host };
}

async function wrkTable(origin, edge) {
  const rows = [];
  for (const [what, pathOf] of [
    ['playlist', () => '/stream.m3u8'],
    ['segment', async () => `/${segmentNames((await get(`${origin.streamer.url}/stream.m3u8`)).body.toString()).at(-1)}`],
  ]) {
    const path = await pathOf();
    for (const [tier, base] of [
      ['direct', origin.streamer.url],
      ['edge', edge.url],
    ]) {
      const before = await originCounts(origin.streamer.url);
      const result = await wrk(`${base}${path}`, { connections: WRK_CONNECTIONS, seconds: WRK_SECONDS, headers: ['Accept-Encoding: gzip'] });
      const after = await originCounts(origin.streamer.url);
      const row = {
        what,
        tier,
        ...result,
        originPlaylistPerSecond: perSecond(before, after, 'playlist'),
        originSegmentsPerSecond: perSecond(before, after, 'segments'),
        load: load(),
      };
      rows.push(row);
      console.log(
        `[edge] wrk ${what.padEnd(8)} ${tier.padEnd(6)} ${String(row.requestsPerSecond).padStart(9)} req/s p50 ${row.p50Ms} ms p99 ${row.p99Ms} ms; origin ${row.originPlaylistPerSecond} playlist + ${row.originSegmentsPerSecond} segment req/s; errors ${row.non2xx + row.socketErrors}`,
      );
    }
  }
  return rows;
}

async function viewerSteps(origin, edges) {
  const rows = [];
  for (const tier of ['direct', 'edges']) {
    for (const count of STEPS) {
      const bases = tier === 'direct' ? [origin.streamer.url] : edges.map((e) => e.url);
      const viewers = bases.map((base) => startViewers(base, { count: Math.round(count / bases.length), pollMs: 1000, maxSockets: 8192 }));
      await sleep(3000);
      for (const v of viewers) v.sample();
      const before = await originCounts(origin.streamer.url);
      await sleep(STEP_SECONDS * 1000);
      const after = await originCounts(origin.streamer.url);
      const samples = viewers.map((v) => v.sample());
      const results = await Promise.all(viewers.map((v) => v.stop()));
      const failed = results.reduce((n, r) => n + r.failed, 0);
      const p99 = Math.max(...samples.map((s) => s.p99 ?? 0));
      const row = {
        tier,
        viewers: count,
        failed,
        playlistP99Ms: round(p99, 1),
        playlistP50Ms: round(median(samples.map((s) => s.p50 ?? 0)), 1),
        // A player falls behind only when a reload takes longer than a segment (2 s).
        held: failed === 0 && p99 < 2000,
        originPlaylistPerSecond: perSecond(before, after, 'playlist'),
        originSegmentsPerSecond: perSecond(before, after, 'segments'),
        failures: results.flatMap((r) => r.failures).slice(0, 3),
        load: load(),
      };
      rows.push(row);
      console.log(
        `[edge] ${tier.padEnd(6)} ${String(count).padStart(5)} viewers: failed ${failed}, playlist p50 ${row.playlistP50Ms} ms p99 ${row.playlistP99Ms} ms, origin ${row.originPlaylistPerSecond} playlist + ${row.originSegmentsPerSecond} segment req/s${row.held ? '' : ' (not held)'}`,
      );
      if (!row.held) break;
    }
  }
  return rows;
}

/** Two tabs started together, direct and through the edge: hls.js latency sampled every 500 ms. */
async function glassToGlass(browser, origin, edge, label, { llLoad = 0, edgeFirst = false } = {}) {
  const load_ = llLoad ? startLowLatencyViewers(edge.url, llLoad) : undefined;
  const open = async (base) => {
    const page = await browser.newPage();
    // HLS, not WebRTC (whose media would not go through the edge).
    await page.goto(`${base}/?view=hls`);
    return page;
  };
  // Which tab opens first alternates: a player's latency depends on when it joins a segment.
  const [direct, viaEdge] = edgeFirst
    ? await Promise.all([open(edge.url), open(origin.streamer.url)]).then(([e, d]) => [d, e])
    : await Promise.all([open(origin.streamer.url), open(edge.url)]);
  for (const page of [direct, viaEdge])
    await page.waitForFunction(() => window.viewer?.state === 'playing' && window.viewer.latency !== null, null, { timeout: 60_000 });
  await sleep(5000);
  const samples = { direct: [], edge: [] };
  const started = Date.now();
  while (Date.now() - started < LATENCY_SECONDS * 1000) {
    for (const [key, page] of [
      ['direct', direct],
      ['edge', viaEdge],
    ]) {
      const latency = await page.evaluate(() => window.viewer.latency);
      if (latency !== null) samples[key].push(latency);
    }
    await sleep(500);
  }
  const fatal = await viaEdge.evaluate(() => window.viewer.fatal);
  await Promise.all([direct.close(), viaEdge.close()]);
  const background = await load_?.stop();
  const row = {
    config: label,
    llLoad,
    backgroundRequests: background?.requests ?? 0,
    backgroundFailed: background?.failed ?? 0,
    directMedianSeconds: round(median(samples.direct), 3),
    edgeMedianSeconds: round(median(samples.edge), 3),
    directP95Seconds: round(percentile(samples.direct, 0.95), 3),
    edgeP95Seconds: round(percentile(samples.edge, 0.95), 3),
    addedSeconds: round(median(samples.edge) - median(samples.direct), 3),
    samples: samples.edge.length,
    edgeFatal: fatal,
    load: load(),
  };
  console.log(`[edge] ${label}: direct ${row.directMedianSeconds} s, edge ${row.edgeMedianSeconds} s (+${row.addedSeconds} s)`);
  return row;
}

/** `count` simulated LL-HLS players on `base`: blocking reload for the hinted part, then that part, forever. */
function startLowLatencyViewers(base, count) {
  let running = true;
  let failed = 0;
  let requests = 0;
  const viewer = async () => {
    let text = (await get(`${base}/stream.m3u8`)).body.toString();
    while (running) {
      // Part URIs are `parts/<epoch>.<msn>.<index>.ts` (the epoch is the origin run's).
      const m = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(parts\/[0-9a-f]{8}\.(\d+)\.(\d+)\.ts)"/.exec(text);
      if (!m) break;
      const [playlist, part] = await Promise.all([get(`${base}/stream.m3u8?_HLS_msn=${m[2]}&_HLS_part=${m[3]}`), get(`${base}/${m[1]}`)]);
      requests += 2;
      if (playlist.status !== 200 || part.status !== 200) failed++;
      if (playlist.status === 200) text = playlist.body.toString();
      else await sleep(200);
    }
  };
  const all = Array.from({ length: count }, () =>
    viewer().catch(() => {
      failed++;
    }),
  );
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return { requests, failed };
    },
  };
}

/**
 * How much older the plain playlist is at the edge: both polled every 10 ms; for each new value of
 * `pattern` (the last segment, or the preload hint) seen directly, when the edge first shows it.
 */
async function playlistLag(origin, edge, label, pattern, seconds) {
  const seen = { direct: [], edge: [] };
  const poll = async (base, into) => {
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      const value = pattern.exec((await get(`${base}/stream.m3u8`)).body.toString())?.[1];
      if (value !== undefined && !into.some(([v]) => v === value)) into.push([value, Date.now()]);
      await sleep(10);
    }
  };
  await Promise.all([poll(origin.streamer.url, seen.direct), poll(edge.url, seen.edge)]);
  // The first value was there before polling began: not a change.
  const lags = seen.direct.slice(1).flatMap(([value, at]) => {
    const shown = seen.edge.find(([v]) => v === value);
    return shown ? [shown[1] - at] : [];
  });
  const row = {
    what: label,
    changes: lags.length,
    medianMs: round(median(lags), 0),
    p95Ms: round(percentile(lags, 0.95), 0),
    maxMs: round(Math.max(...lags), 0),
  };
  console.log(`[edge] playlist age at the edge, ${label}: median ${row.medianMs} ms, p95 ${row.p95Ms} ms, max ${row.maxMs} ms over ${row.changes} changes`);
  return row;
}

/** Rounds of 20 identical blocking reloads for the next part through the edge: how long after the first answer the others come. */
async function collapsedWaits(origin, edge) {
  const spreads = [];
  const firsts = [];
  for (let round_ = 0; round_ < (quick ? 5 : 15); round_++) {
    const text = (await get(`${origin.streamer.url}/stream.m3u8`)).body.toString();
    const m = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="parts\/[0-9a-f]{8}\.(\d+)\.(\d+)\.ts"/.exec(text);
    const started = performance.now();
    const times = await Promise.all(
      Array.from({ length: 20 }, async () => {
        await get(`${edge.url}/stream.m3u8?_HLS_msn=${m[1]}&_HLS_part=${m[2]}`);
        return performance.now() - started;
      }),
    );
    times.sort((a, b) => a - b);
    firsts.push(times[0]);
    spreads.push(...times.slice(1).map((t) => t - times[0]));
    await sleep(300);
  }
  const row = {
    requests: 20,
    rounds: spreads.length / 19,
    firstAnswerMedianMs: round(median(firsts), 1),
    waitAfterFirstMedianMs: round(median(spreads), 1),
    waitAfterFirstP95Ms: round(percentile(spreads, 0.95), 1),
    waitAfterFirstMaxMs: round(Math.max(...spreads), 1),
  };
  console.log(
    `[edge] collapsed blocking reloads: first answer ${row.firstAnswerMedianMs} ms, the others ${row.waitAfterFirstMedianMs} ms later (median), p95 ${row.waitAfterFirstP95Ms} ms, max ${row.waitAfterFirstMaxMs} ms`,
  );
  return row;
}

const dir = await mkdtemp(join(tmpdir(), 'bench-edge-'));
let classic;
let ll;
let edges = [];
let browser;
try {
  classic = await startOrigin(join(dir, 'classic'));
  edges = await Promise.all([startEdge(classic.address, { workers: 1, accessLog: false }), startEdge(classic.address, { workers: 1, accessLog: false })]);
  const wrkRows = await wrkTable(classic, edges[0]);
  const steps = await viewerSteps(classic, edges);
  browser = await launchChromium();
  const latency = [];
  // Classic latency depends on where in a segment a player joins: several pairs of tabs.
  for (let r = 0; r < (quick ? 1 : 4); r++)
    latency.push(await glassToGlass(browser, classic, edges[0], 'classic HLS (2 s segments)', { edgeFirst: r % 2 === 1 }));
  const lag = [await playlistLag(classic, edges[0], 'classic: a new segment', /#EXTINF[^\n]*\n([^\n]+)\n(?![\s\S]*#EXTINF)/, quick ? 10 : 30)];
  await Promise.all(edges.map((e) => e.stop()));
  await stop(classic.publisher.child);
  await stop(classic.streamer.child);

  ll = await startOrigin(join(dir, 'll'), '0.2');
  edges = [await startEdge(ll.address, { workers: 1, accessLog: false })];
  for (let r = 0; r < (quick ? 1 : 2); r++) latency.push(await glassToGlass(browser, ll, edges[0], 'LL-HLS, parts of 0.2 s', { edgeFirst: r % 2 === 1 }));
  lag.push(await playlistLag(ll, edges[0], 'LL-HLS: a new preload hint', /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/, quick ? 5 : 15));
  // Other LL players on the same edge: the browser's requests now wait on nginx's cache lock.
  latency.push(await glassToGlass(browser, ll, edges[0], 'LL-HLS, parts of 0.2 s, 20 other LL players on the edge', { llLoad: 20 }));
  const collapsed = await collapsedWaits(ll, edges[0]);

  const heldBy = (tier) => Math.max(0, ...steps.filter((s) => s.tier === tier && s.held).map((s) => s.viewers));
  await saveResult('edge', {
    what: 'nginx edges (deploy/nginx/hls-edge.conf.template, Debian nginx, 1 worker each) against direct to the origin streamer, on one loopback',
    command: `node bench/edge.mjs${quick ? ' --quick' : ''}`,
    settings: {
      wrkSeconds: WRK_SECONDS,
      wrkConnections: WRK_CONNECTIONS,
      stepSeconds: STEP_SECONDS,
      steps: STEPS,
      latencySeconds: LATENCY_SECONDS,
      publisher: '--input test, 640x480, 30 fps, 2 s segments',
    },
    load: { end: load() },
    summary: { viewersHeldDirect: heldBy('direct'), viewersHeldEdges: heldBy('edges') },
    wrk: wrkRows,
    steps,
    latency,
    lag,
    collapsed,
  });
} finally {
  await browser?.close();
  await Promise.all(edges.map((e) => e.stop()));
  for (const o of [classic, ll]) {
    await stop(o?.publisher.child);
    await stop(o?.streamer.child);
  }
  await rm(dir, { recursive: true, force: true });
}
