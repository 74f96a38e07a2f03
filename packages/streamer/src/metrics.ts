// Live numbers for operators, in Prometheus text format (prom-client). One registry per streamer
// instance, never prom-client's global one, so tests can run several streamers side by side.
// The request paths only bump plain numbers; prom-client sees them when /metrics is scraped.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LiveStream } from './live-stream.js';

export interface StreamerMetricsOptions {
  readonly live: LiveStream;
  /** A client counts as an active viewer this long after its last playlist request. Default 30 000 ms. */
  readonly viewerWindowMs?: number;
  /** Most clients remembered at once (the oldest is forgotten first). Default 10 000. */
  readonly maxViewers?: number;
  /** Process metrics (CPU, memory, event loop, GC). Default true. */
  readonly processMetrics?: boolean;
  readonly now?: () => number;
}

export interface StreamerMetrics {
  readonly registry: Registry;
  /** One answered `GET /stream.m3u8`. */
  playlist(status: number): void;
  /** One answered `GET /segments/:file`; `bytes` only counts for a 200 served from the window. */
  segment(status: number, bytes: number): void;
  /** One answered publish request. */
  publishRequest(status: number): void;
  /** A segment of `bytes` was listed, `seconds` after its publish request began. */
  published(bytes: number, seconds: number): void;
  /** A viewer (e.g. address and user agent) asked for the playlist. */
  viewer(key: string): void;
  /** Distinct viewers seen within the viewer window. */
  activeViewers(): number;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
  close(): void;
}

/** Bumps a per-status count without allocating for a status seen before. */
function bump(counts: Map<number, number>, status: number, by = 1): void {
  counts.set(status, (counts.get(status) ?? 0) + by);
}

function mirror(counter: Counter<'status'>, counts: Map<number, number>): void {
  counter.reset();
  for (const [status, n] of counts) counter.inc({ status: String(status) }, n);
}

export function createStreamerMetrics(options: StreamerMetricsOptions): StreamerMetrics {
  const { live } = options;
  const now = options.now ?? Date.now;
  const viewerWindowMs = options.viewerWindowMs ?? 30_000;
  const maxViewers = options.maxViewers ?? 10_000;
  const registry = new Registry();
  const playlistCounts = new Map<number, number>();
  const segmentCounts = new Map<number, number>();
  const publishCounts = new Map<number, number>();
  let served = 0;
  let servedBytes = 0;
  let published = 0;
  let bytesIn = 0;
  // Insertion order is last-seen order (a visit moves the key to the end), so forgetting the
  // expired and, past the bound, the oldest is a walk from the front.
  const viewers = new Map<string, number>();

  const prune = () => {
    const oldest = now() - viewerWindowMs;
    for (const [key, seen] of viewers) {
      if (seen >= oldest) break;
      viewers.delete(key);
    }
  };

  const registers = [registry];
  new Counter({
    name: 'hls_playlist_requests_total', help: 'Playlist requests answered, by HTTP status.', labelNames: ['status'] as const, registers,
    collect() { mirror(this, playlistCounts); },
  });
  new Counter({
    name: 'hls_segment_requests_total', help: 'Segment requests answered, by HTTP status.', labelNames: ['status'] as const, registers,
    collect() { mirror(this, segmentCounts); },
  });
  new Counter({
    name: 'hls_publish_requests_total', help: 'Publish requests answered, by HTTP status.', labelNames: ['status'] as const, registers,
    collect() { mirror(this, publishCounts); },
  });
  new Counter({
    name: 'hls_segments_served_total', help: 'Segments served from the live window (200 responses).', registers,
    collect() { this.reset(); this.inc(served); },
  });
  new Counter({
    name: 'hls_segment_bytes_served_total', help: 'Bytes of segments served from the live window.', registers,
    collect() { this.reset(); this.inc(servedBytes); },
  });
  new Counter({
    name: 'hls_segments_published_total', help: 'Segments accepted from publishers.', registers,
    collect() { this.reset(); this.inc(published); },
  });
  new Counter({
    name: 'hls_publish_bytes_total', help: 'Bytes of accepted segments (bytes in).', registers,
    collect() { this.reset(); this.inc(bytesIn); },
  });
  const publishSeconds = new Histogram({
    name: 'hls_publish_duration_seconds', help: 'Time from a publish request to its segment being listed (receiving the body included).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
  });
  new Gauge({
    name: 'hls_active_viewers', help: `Distinct clients (address and user agent) that asked for the playlist in the last ${viewerWindowMs / 1000} s.`, registers,
    collect() { prune(); this.set(viewers.size); },
  });
  new Gauge({
    name: 'hls_window_segments', help: 'Segments listed in the live playlist.', registers,
    collect() { this.set(live.state().segments.length); },
  });
  new Gauge({
    name: 'hls_window_seconds', help: 'Media seconds listed in the live playlist.', registers,
    collect() { this.set(live.state().segments.reduce((sum, segment) => sum + segment.duration, 0)); },
  });
  new Gauge({
    name: 'hls_stream_live', help: '1 while a stream is listed and not ended.', registers,
    collect() { this.set(live.health().live ? 1 : 0); },
  });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    playlist(status) {
      bump(playlistCounts, status);
    },
    segment(status, bytes) {
      bump(segmentCounts, status);
      if (status === 200) {
        served++;
        servedBytes += bytes;
      }
    },
    publishRequest(status) {
      bump(publishCounts, status);
    },
    published(bytes, seconds) {
      published++;
      bytesIn += bytes;
      publishSeconds.observe(seconds);
    },
    viewer(key) {
      viewers.delete(key);
      viewers.set(key, now());
      if (viewers.size > maxViewers) viewers.delete(viewers.keys().next().value!);
    },
    activeViewers() {
      prune();
      return viewers.size;
    },
    render: () => registry.metrics(),
    close() {
      registry.clear();
      viewers.clear();
    },
  };
}
