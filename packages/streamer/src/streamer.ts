// createStreamer: everything one streamer needs, owned by the returned instance (no module
// state), so tests can run several side by side on port 0.
import { existsSync } from 'node:fs';
import { createServer, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { pino } from 'pino';
import { createApp } from './http/app.js';
import { createFastPath } from './http/fast-path.js';
import { resolveHlsJs } from './http/static-route.js';
import type { LiveStream } from './live-stream.js';
import type { MjpegHub } from './mjpeg/hub.js';
import { createMjpegIngest } from './mjpeg/ingest.js';
import { resolveOptions, type ResolvedOptions, type StreamerOptions } from './options.js';
import { createStreamRegistry, type StreamRegistry } from './streams/registry.js';
import { checkPublishExposure } from './http/exposure.js';
import { createStreamerMetrics, type StreamerMetrics } from './metrics.js';
import { createWebRtcSessions, type WebRtcSessions } from './webrtc/sessions.js';
import type { VideoHub } from './webrtc/video-hub.js';

export interface Listening {
  readonly port: number;
  /** A URL this machine can open (loopback when bound to every interface). */
  readonly url: string;
}

export interface Streamer {
  readonly app: Koa;
  readonly options: ResolvedOptions;
  /** Every stream by name (`default` included), for inspection. */
  readonly streams: StreamRegistry;
  /** The `default` stream's live window and its segments, for inspection. */
  readonly live: LiveStream;
  /** The `default` stream's MJPEG fan-out (latest frame, viewers, demand), for inspection. */
  readonly mjpeg: MjpegHub;
  /** The H.264 fan-out for WebRTC viewers (GOP cache, demand), for inspection. */
  readonly video: VideoHub;
  /** The WHEP sessions, for inspection. */
  readonly webrtc: WebRtcSessions;
  /** This instance's Prometheus registry and counters (`GET /metrics`). */
  readonly metrics: StreamerMetrics;
  /** Prepares the media folder, then listens; defaults come from the options. */
  listen(port?: number, host?: string): Promise<Listening>;
  /** Stops listening, drops open connections and clears the instance's timers. */
  close(): Promise<void>;
}

export function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Slow clients cannot pin sockets: the headers and the whole request (body included) have
 * deadlines. Node looks for requests past them every `connectionsCheckingInterval` (30 s by
 * default, so a 1 s deadline fired up to 30 s late): checking every quarter of the headers
 * timeout, at most every second, makes both fire within a second of their time.
 */
export function serverTimeouts(options: Pick<ResolvedOptions, 'requestTimeoutSeconds' | 'headersTimeoutSeconds'>): ServerOptions {
  const headersTimeout = options.headersTimeoutSeconds * 1000;
  return {
    requestTimeout: options.requestTimeoutSeconds * 1000,
    headersTimeout,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

export function createStreamer(options: StreamerOptions = {}): Streamer {
  const resolved = resolveOptions(options);
  const logger = resolved.logger ?? pino({ level: resolved.logLevel });
  const streams = createStreamRegistry({
    mediaDir: resolved.mediaDir,
    window: resolved.window,
    targetDuration: resolved.targetDuration,
    maxSegmentBytes: resolved.maxSegmentBytes,
    mjpegIdleSeconds: resolved.mjpegIdleSeconds,
    maxStreams: resolved.maxStreams,
    retentionSeconds: resolved.streamRetentionSeconds,
    publishToken: resolved.publishToken,
    viewerToken: resolved.viewerToken,
    streamTokens: resolved.streamTokens,
    logger,
    onForget: (name) => metrics.forget(name),
  });
  const { live, mjpeg } = streams.default;
  // Each stream has its video hub; the sessions take the one of the stream a viewer asks for.
  const { video } = streams.default;
  const webrtc = createWebRtcSessions(video, { port: resolved.webrtcPort, host: resolved.webrtcHost, maxSessions: resolved.maxWebrtcViewers }, logger);
  // Off (`--webrtc` not given): no WHEP routes, no video asked of publishers, nothing listed.
  const ingest = createMjpegIngest({ streams, video: resolved.webrtc ? video : undefined, logger, maxFrameBytes: resolved.maxMjpegFrameBytes });
  const metrics = createStreamerMetrics({ streams: () => streams.list(), webrtc: resolved.webrtc ? webrtc : undefined });
  const app = createApp({
    streams,
    metrics,
    logger,
    corsOrigin: resolved.corsOrigin,
    webroot: resolved.webroot,
    hlsJsFile: resolveHlsJs(),
    viewerToken: resolved.viewerToken,
    maxUploads: resolved.maxUploads,
    webrtc: resolved.webrtc ? webrtc : undefined,
  });
  let server: Server | undefined;

  return {
    app,
    options: resolved,
    streams,
    live,
    mjpeg,
    video,
    webrtc,
    metrics,

    async listen(port = resolved.port, host = resolved.host) {
      if (server) throw new Error('This streamer is already listening; create another one.');
      checkPublishExposure(host, resolved.publishToken, resolved.allowOpenPublish);
      await streams.restore();
      if (!existsSync(resolved.webroot)) logger.warn({ webroot: resolved.webroot }, 'webroot folder missing: only the API is served');
      if (resolved.window < 3) {
        logger.warn({ window: resolved.window }, 'a window under 3 segments lists less than the three target durations RFC 8216 6.2.2 asks of a live playlist');
      }
      const koa = app.callback();
      const fast = createFastPath({ streams, corsOrigin: resolved.corsOrigin, viewerToken: resolved.viewerToken, metrics });
      const created = createServer(serverTimeouts(resolved), (req, res) => {
        if (!fast(req, res)) void koa(req, res);
      });
      created.on('upgrade', ingest.handleUpgrade);
      server = created;
      try {
        await new Promise<void>((resolve, reject) => {
          created.once('error', reject);
          created.listen(port, host, () => {
            created.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        server = undefined;
        throw error;
      }
      const address = created.address() as AddressInfo;
      const url = `http://${urlHost(host)}:${address.port}`;
      logger.info(
        { url, host, port: address.port, mediaDir: resolved.mediaDir, window: resolved.window, auth: resolved.publishToken !== undefined },
        `listening on ${url}`,
      );
      return { port: address.port, url };
    },

    async close() {
      const saved = streams.close();
      metrics.close();
      ingest.close();
      webrtc.close();
      const closing = server;
      server = undefined;
      if (closing) {
        await new Promise<void>((resolve) => {
          closing.close(() => resolve());
          closing.closeAllConnections();
        });
      }
      await saved;
    },
  };
}
