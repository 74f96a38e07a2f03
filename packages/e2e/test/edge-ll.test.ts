// Low-Latency HLS through the edge cache (deploy/nginx/hls-edge.conf.template on Debian's nginx):
// hls.js plays parts through an edge about as close to live as direct; blocking playlist reloads
// and preload-hinted part requests pass through with their query in the cache key, identical
// concurrent ones reach the origin once, and none is held longer than the origin holds it.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './helpers/browser.js';
import { type Edge, startEdge } from './helpers/nginx.js';
import { type Origin, startOrigin } from './helpers/origin.js';
import { playTogether } from './helpers/player-pair.js';
import { waitFor } from './helpers/playlist.js';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';

const publisherArgs = '--input test --size 320x240 --fps 15 --segment-seconds 2 --part-seconds 0.2 --detector off --mjpeg off'.split(' ');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get(url: string): Promise<{ status: number; headers: Headers; body: Buffer; ms: number }> {
  const started = performance.now();
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, ms: performance.now() - started };
}

/** The preload hint of a playlist as [msn, part]. */
/** The hinted part's sequence, index and URI (`parts/<epoch>.<msn>.<index>.ts`). */
function hint(playlist: string): [number, number, string] {
  const m = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(parts\/[0-9a-f]{8}\.(\d+)\.(\d+)\.ts)"/.exec(playlist);
  if (!m) throw new Error(`no preload hint in ${playlist}`);
  return [Number(m[2]), Number(m[3]), m[1]!];
}

describe('Low-Latency HLS through an nginx edge', () => {
  let origin: Origin;
  let publisher: Spawned;
  let edge: Edge;
  let browser: Browser | undefined;
  let cachedPart = '';
  let cachedAt = 0;

  beforeAll(async () => {
    origin = await startOrigin();
    publisher = startPublisher(origin.url, publisherArgs);
    edge = await startEdge(origin.address);
    await waitFor(
      'a segment built from parts',
      async () => {
        const text = (await get(`${origin.url}/stream.m3u8`)).body.toString();
        return /#EXTINF/.test(text) && /#EXT-X-PRELOAD-HINT/.test(text) ? true : undefined;
      },
      60_000,
    );
  });

  afterAll(async () => {
    await browser?.close();
    await stopAll(publisher);
    await edge?.stop();
    await origin?.close();
  });

  it('plays parts in Chromium through the edge about as far behind live as direct', async () => {
    browser = await launchChromium();
    const blocking = { direct: 0, edge: 0 };
    const open = async (base: string, key: 'direct' | 'edge'): Promise<Page> => {
      const page = await browser!.newPage();
      page.on('request', (req) => {
        if (new URL(req.url()).searchParams.has('_HLS_msn')) blocking[key]++;
      });
      // HLS, not WebRTC (whose media would not go through the edge).
      await page.goto(`${base}/?view=hls`);
      return page;
    };
    const [direct, viaEdge] = await Promise.all([open(origin.url, 'direct'), open(edge.url, 'edge')]);
    type Status = { state: string; latency: number | null; fatal: number; partTarget: number | null };
    const status = (page: Page) => page.evaluate(() => (window as unknown as { viewer: Status }).viewer);
    await waitFor(
      'both playing',
      async () => {
        const [d, e] = await Promise.all([status(direct), status(viaEdge)]);
        return d.state === 'playing' && e.state === 'playing' && d.latency !== null && e.latency !== null ? true : undefined;
      },
      60_000,
    );
    await sleep(5000);
    const samples = { direct: [] as number[], edge: [] as number[] };
    for (let i = 0; i < 16; i++) {
      const [d, e] = await Promise.all([status(direct), status(viaEdge)]);
      samples.direct.push(d.latency!);
      samples.edge.push(e.latency!);
      expect(e.fatal).toBe(0);
      expect(e.partTarget).toBe(0.2);
      await sleep(500);
    }
    const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
    console.info(`LL-HLS latency: direct ${median(samples.direct).toFixed(2)} s, through an edge ${median(samples.edge).toFixed(2)} s`);
    // Loose on purpose (2 shared cores): bench/edge.mjs measures the difference itself.
    expect(median(samples.edge)).toBeLessThan(median(samples.direct) + 0.6);
    expect(median(samples.edge)).toBeLessThan(3);
    expect(blocking.edge).toBeGreaterThan(20);
    expect(edge.log().filter((l) => l.uri.includes('_HLS_msn=')).length).toBeGreaterThan(20);
    await browser.close();
    browser = undefined;
  });

  it('adds at most 0.3 s to LL-HLS latency: two hls.js players in one page, direct and through the edge', async () => {
    browser ??= await launchChromium();
    // The viewer page's settings with parts: hls.js aims at PART-HOLD-BACK and catches up at up to 1.5x.
    const result = await playTogether(browser, edge.url, [`${origin.url}/stream.m3u8`, `${edge.url}/stream.m3u8`], {
      config: { liveDurationInfinity: true, lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 },
      settleMs: 5000,
      samples: 16,
    });
    const [direct, viaEdge] = result.medians as [number, number];
    console.info(`LL-HLS joined together: direct ${direct.toFixed(2)} s, through an edge ${viaEdge.toFixed(2)} s`);
    expect(result.fatal).toEqual([0, 0]);
    expect(direct).toBeLessThan(3);
    expect(viaEdge).toBeLessThan(direct + 0.3);
  });

  it('collapses identical blocking reloads and hinted part requests into one origin request each', async () => {
    const [msn, part, uri] = hint((await get(`${origin.url}/stream.m3u8`)).body.toString());
    const before = await origin.counts();
    const blockingUri = `/stream.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`;
    const partUri = `/${uri}`;
    const [playlists, parts] = await Promise.all([
      Promise.all(Array.from({ length: 30 }, () => get(`${edge.url}${blockingUri}`))),
      Promise.all(Array.from({ length: 30 }, () => get(`${edge.url}${partUri}`))),
    ]);
    const after = await origin.counts();
    expect(playlists.map((r) => r.status)).toEqual(playlists.map(() => 200));
    expect(parts.map((r) => r.status)).toEqual(parts.map(() => 200));
    // Every viewer got the playlist that lists the part it asked for, and the same part bytes.
    expect(new Set(playlists.map((r) => r.body.toString())).size).toBe(1);
    expect(playlists[0]!.body.toString()).toContain(`URI="${uri}"`);
    expect(playlists[0]!.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(new Set(parts.map((r) => r.body.toString('base64'))).size).toBe(1);
    expect(parts[0]!.headers.get('cache-control')).toBe('public, max-age=86400, immutable');
    expect(after.playlist - before.playlist).toBe(1);
    expect(edge.log().filter((l) => l.uri === blockingUri && l.upstream !== '-')).toHaveLength(1);
    expect(edge.log().filter((l) => l.uri === partUri && l.upstream !== '-')).toHaveLength(1);
    // Held until the part existed (0.2 s parts), not polled for: well under a segment.
    expect(Math.max(...playlists.map((r) => r.ms))).toBeLessThan(2000);
    cachedPart = partUri;
    cachedAt = Date.now();
  });

  it('serves a plain playlist at most one 200 ms slot older than the origin', async () => {
    // Polled side by side: when each preload hint (a new one every 0.2 s part) is first seen
    // directly, and when the edge first shows it or a later one.
    const seen = { origin: [] as [number, number][], edge: [] as [number, number][] };
    const poll = async (base: string, into: [number, number][]) => {
      const started = Date.now();
      while (Date.now() - started < 5000) {
        const [msn, part] = hint((await get(`${base}/stream.m3u8`)).body.toString());
        const position = msn * 1000 + part;
        if (into.length === 0 || into.at(-1)![0] < position) into.push([position, Date.now()]);
        await sleep(10);
      }
    };
    await Promise.all([poll(origin.url, seen.origin), poll(edge.url, seen.edge)]);
    const lags = seen.origin.slice(1, -1).flatMap(([position, at]) => {
      const shown = seen.edge.find(([p]) => p >= position);
      return shown ? [shown[1] - at] : [];
    });
    const sorted = [...lags].sort((x, y) => x - y);
    console.info(`plain playlist through the edge: ${lags.length} new hints, lag median ${sorted[lags.length >> 1]} ms, max ${sorted.at(-1)} ms`);
    expect(seen.origin.length).toBeGreaterThan(15);
    expect(lags.length).toBeGreaterThan(5);
    // 200 ms slot plus polling and scheduling on two busy cores.
    expect(sorted.at(-1)!).toBeLessThan(450);
  });

  it('holds a blocking reload and a hinted part no longer than the origin does', async () => {
    // The publisher dies without ending the stream: the next segment never comes.
    publisher.child.kill('SIGKILL');
    await publisher.exited;
    await sleep(500);
    const playlist = (await get(`${origin.url}/stream.m3u8`)).body.toString();
    const [msn, , uri] = hint(playlist);
    const blockingUri = `/stream.m3u8?_HLS_msn=${msn + 1}`;
    const partUri = `/${uri}`;
    const before = await origin.counts();
    const [direct, viaEdge, partDirect, partsViaEdge] = await Promise.all([
      get(`${origin.url}${blockingUri}`),
      Promise.all(Array.from({ length: 10 }, () => get(`${edge.url}${blockingUri}`))),
      get(`${origin.url}${partUri}`),
      Promise.all(Array.from({ length: 10 }, () => get(`${edge.url}${partUri}`))),
    ]);
    const after = await origin.counts();
    console.info(
      `held: origin ${direct.ms.toFixed(0)} ms, edge up to ${Math.max(...viaEdge.map((r) => r.ms)).toFixed(0)} ms (playlist); origin ${partDirect.ms.toFixed(0)} ms, edge up to ${Math.max(...partsViaEdge.map((r) => r.ms)).toFixed(0)} ms (part)`,
    );
    // The origin holds 3 target durations (6 s), then answers 503 / 404.
    expect(direct.status).toBe(503);
    expect(direct.ms).toBeGreaterThan(5500);
    expect(partDirect.status).toBe(404);
    for (const r of viaEdge) {
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body.toString())).toMatchObject({ error: { code: 'BLOCKING_TIMEOUT' } });
      // Waiters on the cache lock look every 500 ms: at most that, plus scheduling, after the origin.
      expect(r.ms).toBeLessThan(direct.ms + 1500);
    }
    for (const r of partsViaEdge) {
      expect(r.status).toBe(404);
      expect(r.ms).toBeLessThan(partDirect.ms + 1500);
    }
    // One held request from the edge, one direct: the waiters never went to the origin themselves.
    expect(after.playlist - before.playlist).toBe(2);
    expect(edge.log().filter((l) => l.uri === partUri && l.upstream !== '-')).toHaveLength(1);
  });

  it('keeps serving a part it has, immutable, while the origin is down', async () => {
    expect(cachedPart).not.toBe('');
    // Part URLs carry the origin run's epoch, so they name one set of bytes forever: kept a day like segments.
    await sleep(Math.max(0, cachedAt + 8000 - Date.now()));
    await origin.stop();
    const res = await get(`${edge.url}${cachedPart}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache-status')).toBe('HIT');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400, immutable');
    const playlist = await get(`${edge.url}/stream.m3u8`);
    expect(playlist.status).toBe(502);
    expect(JSON.parse(playlist.body.toString())).toMatchObject({ error: { code: 'ORIGIN_UNREACHABLE' } });
  });
});
