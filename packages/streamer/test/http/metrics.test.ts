// GET /metrics on a real streamer: the values move with real publishes and requests, through
// both the fast path and Koa, and each streamer counts only its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { publish, raw, useServers } from '../helpers/server.js';

let segment: Buffer;
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const server = useServers();

beforeAll(async () => {
  fixtures = await tempDir();
  segment = await makeSegment(fixtures.path);
});
afterAll(() => fixtures.remove());

/** Prometheus text -> { 'name{labels}': value }. */
async function scrape(port: number): Promise<Record<string, number>> {
  const res = await raw(port, { path: '/metrics' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  const values: Record<string, number> = {};
  for (const line of res.body.toString().split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

const name = (i: number) => `cam-${String(i).padStart(5, '0')}.ts`;
const pdt = (i: number) => new Date(Date.parse('2024-05-01T10:00:00.000Z') + i * 1000).toISOString();

describe('GET /metrics', () => {
  it('starts at zero with the window, viewer and process metrics present', async () => {
    const s = await server();
    const m = await scrape(s.port);
    expect(m).toMatchObject({
      'hls_segments_published_total{stream="default"}': 0,
      'hls_publish_bytes_total{stream="default"}': 0,
      'hls_segments_served_total{stream="default"}': 0,
      'hls_active_viewers{stream="default"}': 0,
      'hls_window_segments{stream="default"}': 0,
      'hls_window_seconds{stream="default"}': 0,
      'hls_stream_live{stream="default"}': 0,
    });
    expect(m.process_resident_memory_bytes).toBeGreaterThan(0);
    expect(Object.keys(m).some((key) => key.startsWith('nodejs_eventloop_lag'))).toBe(true);
  });

  it('counts publishes, playlist and segment requests by status, viewers and bytes', async () => {
    const s = await server();
    for (let i = 0; i < 2; i++) {
      expect((await publish(s.port, { name: name(i), duration: 1, body: segment, pdt: pdt(i) })).status).toBe(201);
    }
    // A refused publish: a bad duration.
    expect((await publish(s.port, { name: name(9), duration: 'x', body: segment, pdt: pdt(9) })).status).toBe(400);

    // Two clients on the fast path (distinct user agents), one through Koa (a query string).
    expect((await raw(s.port, { path: '/stream.m3u8', headers: { 'User-Agent': 'a' } })).status).toBe(200);
    expect((await raw(s.port, { path: '/stream.m3u8', headers: { 'User-Agent': 'b', 'Accept-Encoding': 'gzip' } })).status).toBe(200);
    expect((await raw(s.port, { path: '/stream.m3u8?x=1', headers: { 'User-Agent': 'a' } })).status).toBe(200);
    expect((await raw(s.port, { path: `/segments/${name(0)}` })).status).toBe(200);
    expect((await raw(s.port, { path: `/segments/${name(1)}`, method: 'HEAD' })).status).toBe(200);
    expect((await raw(s.port, { path: '/segments/missing.ts' })).status).toBe(404);

    const m = await scrape(s.port);
    expect(m['hls_segments_published_total{stream="default"}']).toBe(2);
    expect(m['hls_publish_bytes_total{stream="default"}']).toBe(2 * segment.length);
    expect(m['hls_publish_duration_seconds_count{stream="default"}']).toBe(2);
    expect(m['hls_publish_requests_total{stream="default",status="201"}']).toBe(2);
    expect(m['hls_publish_requests_total{stream="default",status="400"}']).toBe(1);
    expect(m['hls_playlist_requests_total{stream="default",status="200"}']).toBe(3);
    expect(m['hls_segment_requests_total{stream="default",status="200"}']).toBe(2);
    expect(m['hls_segment_requests_total{stream="default",status="404"}']).toBe(1);
    expect(m['hls_segments_served_total{stream="default"}']).toBe(2);
    expect(m['hls_segment_bytes_served_total{stream="default"}']).toBe(2 * segment.length);
    expect(m['hls_active_viewers{stream="default"}']).toBe(2);
    expect(m['hls_window_segments{stream="default"}']).toBe(2);
    expect(m['hls_window_seconds{stream="default"}']).toBe(2);
    expect(m['hls_stream_live{stream="default"}']).toBe(1);
  });

  it('keeps a registry per streamer', async () => {
    const [a, b] = [await server(), await server()];
    expect((await publish(a.port, { name: name(0), duration: 1, body: segment, pdt: pdt(0) })).status).toBe(201);
    expect((await scrape(a.port))['hls_segments_published_total{stream="default"}']).toBe(1);
    expect((await scrape(b.port))['hls_segments_published_total{stream="default"}']).toBe(0);
  });
});

describe('active viewers', () => {
  it('forgets clients after the window and past the bound', async () => {
    const { createStreamerMetrics } = await import('../../src/metrics.js');
    let now = 0;
    const live = { state: () => ({ segments: [] }), health: () => ({ live: false }) } as never;
    const metrics = createStreamerMetrics({ live, now: () => now, maxViewers: 3, viewerWindowMs: 30_000, processMetrics: false });
    for (const key of ['a', 'b', 'c', 'd']) metrics.viewer(key);
    expect(metrics.activeViewers()).toBe(3);
    now = 20_000;
    metrics.viewer('b');
    now = 40_000;
    expect(metrics.activeViewers()).toBe(1);
    now = 60_000;
    expect(metrics.activeViewers()).toBe(0);
    metrics.close();
  });
});
