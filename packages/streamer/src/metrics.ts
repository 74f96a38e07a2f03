// Live numbers for operators, in Prometheus text format (prom-client). One registry per streamer
// instance, never prom-client's global one, so tests can run several streamers side by side.
// The request paths only bump plain numbers; prom-client sees them when /metrics is scraped.
// Every stream metric carries a `stream` label (`default` for the original paths).
import { DEFAULT_STREAM } from '@hls-live/protocol';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LiveStream } from './live-stream.js';
import type { WebRtcSessions } from './webrtc/sessions.js';

export interface StreamerMetricsOptions {
  /** The streams whose windows the gauges read, by name; or one `live` stream, read as `default`. */
  readonly streams?: () => Iterable<{ readonly name: string; readonly live: LiveStream }>;
  readonly live?: LiveStream;
  /** WebRTC sessions to count; none: no WebRTC metrics. */
  readonly webrtc?: Pick<WebRtcSessions, 'stats'> | undefined;
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
  /** One answered `GET /stream.m3u8` of `stream` (default `default`). */
  playlist(status: number, stream?: string): void;
  /** One answered `GET /segments/:file`; `bytes` only counts for a 200 served from the window. */
  segment(status: number, bytes: number, stream?: string): void;
  /** One answered publish request. */
  publishRequest(status: number, stream?: string): void;
  /** A segment of `bytes` was listed, `seconds` after its publish request began. */
  published(bytes: number, seconds: number, stream?: string): void;
  /** A viewer (e.g. address and user agent) asked for the playlist of `stream`. */
  viewer(key: string, stream?: string): void;
  /** Distinct viewers seen within the viewer window, of one stream or of all. */
  activeViewers(stream?: string): number;
  /** Drops a forgotten stream's numbers, so stream names that come and go do not pile up. */
  forget(stream: string): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
  close(): void;
}

type PerStream<T> = Map<string, T>;

/** Bumps a per-stream, per-status count without allocating for a pair seen before. */
function bump(counts: PerStream<Map<number, number>>, stream: string, status: number, by = 1): void {
  let own = counts.get(stream);
  if (!own) {
    own = new Map();
    counts.set(stream, own);
  }
  own.set(status, (own.get(status) ?? 0) + by);
}

function add(totals: PerStream<number>, stream: string, by: number): void {
  totals.set(stream, (totals.get(stream) ?? 0) + by);
}

function mirror(counter: Counter<'stream' | 'status'>, counts: PerStream<Map<number, number>>): void {
  counter.reset();
  for (const [stream, own] of counts) for (const [status, n] of own) counter.inc({ stream, status: String(status) }, n);
}

/** Every stream held gets its line, at 0 before its first count. */
function mirrorTotals(counter: Counter<'stream'>, totals: PerStream<number>, held: Iterable<{ readonly name: string }>): void {
  counter.reset();
  for (const { name } of held) if (!totals.has(name)) counter.inc({ stream: name }, 0);
  for (const [stream, n] of totals) counter.inc({ stream }, n);
}

export function createStreamerMetrics(options: StreamerMetricsOptions): StreamerMetrics {
  const single = options.live;
  const streams = options.streams ?? (() => (single ? [{ name: DEFAULT_STREAM, live: single }] : []));
  const now = options.now ?? Date.now;
  const viewerWindowMs = options.viewerWindowMs ?? 30_000;
  const maxViewers = options.maxViewers ?? 10_000;
  const registry = new Registry();
  const playlistCounts: PerStream<Map<number, number>> = new Map();
  const segmentCounts: PerStream<Map<number, number>> = new Map();
  const publishCounts: PerStream<Map<number, number>> = new Map();
  const served: PerStream<number> = new Map();
  const servedBytes: PerStream<number> = new Map();
  const published: PerStream<number> = new Map();
  const bytesIn: PerStream<number> = new Map();
  // Keyed `<stream> <client>`. Insertion order is last-seen order (a visit moves the key to the
  // end), so forgetting the expired and, past the bound, the oldest is a walk from the front.
  const viewers = new Map<string, number>();
  const viewerCounts = () => {
    const counts = new Map<string, number>();
    for (const key of viewers.keys()) add(counts, key.slice(0, key.indexOf(' ')), 1);
    return counts;
  };

  const prune = () => {
    const oldest = now() - viewerWindowMs;
    for (const [key, seen] of viewers) {
      if (seen >= oldest) break;
      viewers.delete(key);
    }
  };

  const registers = [registry];
  new Counter({
    name: 'hls_playlist_requests_total',
    help: 'Playlist requests answered, by HTTP status.',
    labelNames: ['stream', 'status'] as const,
    registers,
    collect() {
      mirror(this, playlistCounts);
    },
  });
  new Counter({
    name: 'hls_segment_requests_total',
    help: 'Segment requests answered, by HTTP status.',
    labelNames: ['stream', 'status'] as const,
    registers,
    collect() {
      mirror(this, segmentCounts);
    },
  });
  new Counter({
    name: 'hls_publish_requests_total',
    help: 'Publish requests answered, by HTTP status.',
    labelNames: ['stream', 'status'] as const,
    registers,
    collect() {
      mirror(this, publishCounts);
    },
  });
  new Counter({
    name: 'hls_segments_served_total',
    help: 'Segments served from the live window (200 responses).',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      mirrorTotals(this, served, streams());
    },
  });
  new Counter({
    name: 'hls_segment_bytes_served_total',
    help: 'Bytes of segments served from the live window.',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      mirrorTotals(this, servedBytes, streams());
    },
  });
  new Counter({
    name: 'hls_segments_published_total',
    help: 'Segments accepted from publishers.',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      mirrorTotals(this, published, streams());
    },
  });
  new Counter({
    name: 'hls_publish_bytes_total',
    help: 'Bytes of accepted segments (bytes in).',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      mirrorTotals(this, bytesIn, streams());
    },
  });
  const publishSeconds = new Histogram({
    name: 'hls_publish_duration_seconds',
    help: 'Time from a publish request to its segment being listed (receiving the body included).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelNames: ['stream'] as const,
    registers,
  });
  new Gauge({
    name: 'hls_active_viewers',
    help: `Distinct clients (address and user agent) that asked for the playlist in the last ${viewerWindowMs / 1000} s.`,
    registers,
    labelNames: ['stream'] as const,
    collect() {
      prune();
      this.reset();
      const counts = viewerCounts();
      for (const { name } of streams()) this.set({ stream: name }, counts.get(name) ?? 0);
    },
  });
  new Gauge({
    name: 'hls_window_segments',
    help: 'Segments listed in the live playlist.',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      this.reset();
      for (const { name, live } of streams()) this.set({ stream: name }, live.state().segments.length);
    },
  });
  new Gauge({
    name: 'hls_window_seconds',
    help: 'Media seconds listed in the live playlist.',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      this.reset();
      for (const { name, live } of streams())
        this.set(
          { stream: name },
          live.state().segments.reduce((sum, segment) => sum + segment.duration, 0),
        );
    },
  });
  new Gauge({
    name: 'hls_stream_live',
    help: '1 while a stream is listed and not ended.',
    labelNames: ['stream'] as const,
    registers,
    collect() {
      this.reset();
      for (const { name, live } of streams()) this.set({ stream: name }, live.health().live ? 1 : 0);
    },
  });
  const { webrtc } = options;
  if (webrtc) {
    new Gauge({
      name: 'hls_webrtc_sessions_active',
      help: 'WebRTC (WHEP) sessions open now.',
      registers,
      collect() {
        this.set(webrtc.stats().active);
      },
    });
    new Counter({
      name: 'hls_webrtc_sessions_started_total',
      help: 'WebRTC (WHEP) sessions answered.',
      registers,
      collect() {
        this.reset();
        this.inc(webrtc.stats().started);
      },
    });
    new Counter({
      name: 'hls_webrtc_sessions_ended_total',
      help: 'WebRTC (WHEP) sessions ended (DELETE, failure, timeout, silence).',
      registers,
      collect() {
        this.reset();
        this.inc(webrtc.stats().ended);
      },
    });
    new Counter({
      name: 'hls_webrtc_bytes_sent_total',
      help: 'Bytes of H.264 sent to WebRTC viewers (before RTP and SRTP overhead).',
      registers,
      collect() {
        this.reset();
        this.inc(webrtc.stats().bytesSent);
      },
    });
  }
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    playlist(status, stream = DEFAULT_STREAM) {
      bump(playlistCounts, stream, status);
    },
    segment(status, bytes, stream = DEFAULT_STREAM) {
      bump(segmentCounts, stream, status);
      if (status === 200) {
        add(served, stream, 1);
        add(servedBytes, stream, bytes);
      }
    },
    publishRequest(status, stream = DEFAULT_STREAM) {
      bump(publishCounts, stream, status);
    },
    published(bytes, seconds, stream = DEFAULT_STREAM) {
      add(published, stream, 1);
      add(bytesIn, stream, bytes);
      publishSeconds.observe({ stream }, seconds);
    },
    viewer(key, stream = DEFAULT_STREAM) {
      const id = `${stream} ${key}`;
      viewers.delete(id);
      viewers.set(id, now());
      if (viewers.size > maxViewers) viewers.delete(viewers.keys().next().value!);
    },
    forget(stream) {
      for (const counts of [playlistCounts, segmentCounts, publishCounts, served, servedBytes, published, bytesIn]) counts.delete(stream);
      publishSeconds.remove({ stream });
      for (const key of viewers.keys()) if (key.startsWith(`${stream} `)) viewers.delete(key);
    },
    activeViewers(stream) {
      prune();
      if (stream === undefined) return viewers.size;
      return viewerCounts().get(stream) ?? 0;
    },
    render: () => registry.metrics(),
    close() {
      registry.clear();
      viewers.clear();
    },
  };
}
