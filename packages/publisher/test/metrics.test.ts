// The publisher's metrics endpoint on a real pipeline (ffmpeg's test pattern -> a real HTTP
// server standing in for the streamer): the counters move as frames and segments go through.
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../src/index.js';
import { createPublisherMetrics, parseMetricsPort, startMetricsServer, type MetricsServer, type PublisherMetrics } from '../src/metrics.js';
import { startPublishServer, type PublishServer } from './helpers/publish-server.js';

function get(url: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    })
      .on('error', reject)
      .end();
  });
}

function parse(text: string): Record<string, number> {
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

let server: PublishServer;
let work: string;
let publisher: Publisher;
let metrics: PublisherMetrics;
let endpoint: MetricsServer;

beforeAll(async () => {
  server = await startPublishServer();
  work = await mkdtemp(join(tmpdir(), 'publisher-metrics-'));
  publisher = createPublisher({ input: 'test', streamer: server.url, width: 160, height: 120, fps: 25, segmentSeconds: 1, bitrate: 200_000, tempDir: work });
  metrics = createPublisherMetrics({ publisher, fps: 25 });
  endpoint = await startMetricsServer(metrics, 0);
  await publisher.start();
});

afterAll(async () => {
  await publisher.stop();
  await endpoint.close();
  metrics.close();
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('publisher metrics endpoint', () => {
  it('serves Prometheus text whose counters move with the pipeline', async () => {
    const first = await get(endpoint.url);
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/);
    await server.waitFor('two segments uploaded', () => server.segments().length >= 2, 20_000);
    // The 1 s sampler needs two samples for the rates.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const m = parse((await get(endpoint.url)).body);
    expect(m.hls_publisher_capture_frames_total).toBeGreaterThan(parse(first.body).hls_publisher_capture_frames_total ?? 0);
    expect(m.hls_publisher_capture_fps).toBeGreaterThan(0);
    expect(m.hls_publisher_segments_total).toBeGreaterThanOrEqual(2);
    expect(m.hls_publisher_segments_sent_total).toBeGreaterThanOrEqual(2);
    expect(m.hls_publisher_output_frames_total).toBeGreaterThanOrEqual(2 * 25);
    expect(m.hls_publisher_upload_seconds_count).toBeGreaterThanOrEqual(2);
    expect(m.hls_publisher_upload_seconds_sum).toBeGreaterThan(0);
    expect(m.hls_publisher_upload_queue_depth).toBeGreaterThanOrEqual(0);
    expect(m.hls_publisher_segments_dropped_total).toBe(0);
    expect(m.hls_publisher_dropped_frames).toBeGreaterThanOrEqual(0);
    expect(m.process_resident_memory_bytes).toBeGreaterThan(0);
    // No detector was given: no detection series.
    expect(m.hls_publisher_detections_total).toBeUndefined();
  }, 40_000);

  it('answers 404 elsewhere', async () => {
    expect((await get(endpoint.url.replace('/metrics', '/other'))).status).toBe(404);
  });
});

describe('parseMetricsPort', () => {
  it.each(['0', '9464', '65535'])('accepts %s', (value) => expect(parseMetricsPort(value)).toBe(Number(value)));
  it.each(['', '-1', '65536', 'abc', '1.5'])('refuses `%s` naming the flag', (value) => {
    expect(() => parseMetricsPort(value)).toThrow(/--metrics-port/);
  });
});
