// The publisher's live numbers in Prometheus text format (prom-client), served by
// `--metrics-port`. One registry per call, never prom-client's global one. Nothing here runs per
// frame: values are read from the publisher's and the detector's own counters when scraped,
// plus a small sample once a second for the rates.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OptionError } from './errors.js';
import type { DetectStats } from './detect/detect-stage.js';
import type { Segment } from './pipeline/segmenter.js';
import type { Publisher } from './publisher.js';

export interface PublisherMetricsOptions {
  readonly publisher: Publisher;
  /** Frames per second asked of the capture. */
  readonly fps: number;
  /** The face detector's counters, when detection is on. */
  readonly detect?: { stats(): DetectStats } | undefined;
  /** Process metrics (CPU, memory, event loop, GC). Default true. */
  readonly processMetrics?: boolean;
  readonly now?: () => number;
}

export interface PublisherMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  render(): Promise<string>;
  /** Removes the listeners and the sampling timer. */
  close(): void;
}

/** Rates over the last few seconds from counters sampled once a second. */
const RATE_WINDOW = 5;

export function createPublisherMetrics(options: PublisherMetricsOptions): PublisherMetrics {
  const { publisher, detect, fps } = options;
  const now = options.now ?? Date.now;
  const registry = new Registry();
  const registers = [registry];
  let firstFrameAt: number | undefined;
  let outputFrames = 0;
  // [time, output frames, detections] once a second; the rates are taken across the window.
  const samples: [number, number, number][] = [];

  const rate = (index: 1 | 2) => {
    if (samples.length < 2) return 0;
    const first = samples[0]!;
    const last = samples.at(-1)!;
    return (last[index] - first[index]) / Math.max(0.001, (last[0] - first[0]) / 1000);
  };
  const sample = () => {
    const frames = publisher.status().frames;
    // Up to a second late: back-dated by the frames already there, as if they came in real time.
    if (firstFrameAt === undefined && frames > 0) firstFrameAt = now() - ((frames - 1) / fps) * 1000;
    samples.push([now(), outputFrames, detect?.stats().results ?? 0]);
    if (samples.length > RATE_WINDOW + 1) samples.shift();
  };
  const timer = setInterval(sample, 1000);
  timer.unref();
  const onSegment = (segment: Segment) => {
    outputFrames += Math.round(segment.duration * fps);
  };
  const uploadSeconds = new Histogram({
    name: 'hls_publisher_upload_seconds',
    help: 'Time to deliver a finished segment to the streamer, retries included.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const onUploaded = (upload: { ms: number }) => uploadSeconds.observe(upload.ms / 1000);
  publisher.on('segment', onSegment);
  publisher.on('uploaded', onUploaded);

  const status = () => publisher.status();
  new Counter({
    name: 'hls_publisher_capture_frames_total',
    help: 'Frames read from the capture.',
    registers,
    collect() {
      this.reset();
      this.inc(status().frames);
    },
  });
  new Gauge({
    name: 'hls_publisher_capture_fps',
    help: 'Frames per second read from the capture (and handed to the encoder), last second.',
    registers,
    collect() {
      this.set(status().fps);
    },
  });
  new Counter({
    name: 'hls_publisher_output_frames_total',
    help: 'Frames in the segments the encoder finished.',
    registers,
    collect() {
      this.reset();
      this.inc(outputFrames);
    },
  });
  new Gauge({
    name: 'hls_publisher_output_fps',
    help: `Frames per second of finished segments, over the last ${RATE_WINDOW} s.`,
    registers,
    collect() {
      this.set(rate(1));
    },
  });
  new Gauge({
    name: 'hls_publisher_dropped_frames',
    help: 'Frames the capture is behind the wall clock at the asked fps since its first frame (a camera drops these).',
    registers,
    collect() {
      const frames = status().frames;
      const expected = firstFrameAt === undefined ? frames : Math.floor(((now() - firstFrameAt) / 1000) * fps);
      this.set(Math.max(0, expected - frames));
    },
  });
  new Counter({
    name: 'hls_publisher_segments_total',
    help: 'Segments the encoder finished.',
    registers,
    collect() {
      this.reset();
      this.inc(status().segments);
    },
  });
  new Counter({
    name: 'hls_publisher_segments_sent_total',
    help: 'Segments the streamer accepted.',
    registers,
    collect() {
      this.reset();
      this.inc(status().sent);
    },
  });
  new Counter({
    name: 'hls_publisher_segments_dropped_total',
    help: 'Segments dropped because the upload queue was full.',
    registers,
    collect() {
      this.reset();
      this.inc(status().dropped);
    },
  });
  new Gauge({
    name: 'hls_publisher_upload_queue_depth',
    help: 'Segments waiting to be uploaded (the one being sent included).',
    registers,
    collect() {
      this.set(status().queued);
    },
  });
  if (detect) {
    new Counter({
      name: 'hls_publisher_detections_total',
      help: 'Face detections completed.',
      registers,
      collect() {
        this.reset();
        this.inc(detect.stats().results);
      },
    });
    new Counter({
      name: 'hls_publisher_detection_skipped_frames_total',
      help: 'Frames not handed to the detector because it was busy.',
      registers,
      collect() {
        this.reset();
        this.inc(detect.stats().skippedBusy);
      },
    });
    new Gauge({
      name: 'hls_publisher_detection_rate',
      help: `Detections per second over the last ${RATE_WINDOW} s.`,
      registers,
      collect() {
        this.set(rate(2));
      },
    });
    new Gauge({
      name: 'hls_publisher_detection_ms',
      help: 'Milliseconds the last detection took in the worker.',
      registers,
      collect() {
        this.set(detect.stats().lastDetectMs);
      },
    });
  }
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      clearInterval(timer);
      publisher.off('segment', onSegment as (...args: never[]) => void);
      publisher.off('uploaded', onUploaded as (...args: never[]) => void);
      registry.clear();
    },
  };
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** `GET /metrics` (and `/`) on its own port; anything else is a 404. */
export async function startMetricsServer(metrics: PublisherMetrics, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      (error: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `--metrics-port`: 0 picks a free port (logged). */
export function parseMetricsPort(value: string): number {
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new OptionError('--metrics-port', 'a port number from 0 to 65535', value);
  return n;
}

export function parseMetricsHost(value: string): string {
  if (!/^[\w.:-]+$/.test(value)) throw new OptionError('--metrics-host', 'a host name or address (e.g. `127.0.0.1`, `0.0.0.0`)', value);
  return value;
}
