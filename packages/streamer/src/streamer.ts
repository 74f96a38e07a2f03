// createStreamer: everything one streamer needs, owned by the returned instance (no module
// state), so tests can run several side by side on port 0.
import { existsSync } from 'node:fs';
import { createServer, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { pino } from 'pino';
import { createAuthorizer } from './http/auth.js';
import { createApp } from './http/app.js';
import { createFastPath } from './http/fast-path.js';
import { resolveHlsJs } from './http/static-route.js';
import { createLiveStream, type LiveStream } from './live-stream.js';
import { createMjpegHub, type MjpegHub } from './mjpeg/hub.js';
import { createMjpegIngest } from './mjpeg/ingest.js';
import { resolveOptions, type ResolvedOptions, type StreamerOptions } from './options.js';
import { createMediaDir } from './storage/media-dir.js';
import { createStateFile } from './storage/state-file.js';
import { checkPublishExposure } from './http/exposure.js';
import { createStreamerMetrics, type StreamerMetrics } from './metrics.js';

export interface Listening {
  readonly port: number;
  /** A URL this machine can open (loopback when bound to every interface). */
  readonly url: string;
}

export interface Streamer {
  readonly app: Koa;
  readonly options: ResolvedOptions;
  /** The live window and its segments, for inspection. */
  readonly live: LiveStream;
  /** The MJPEG fan-out (latest frame, viewers, demand), for inspection. */
  readonly mjpeg: MjpegHub;
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
  const media = createMediaDir({ dir: resolved.mediaDir, maxSegmentBytes: resolved.maxSegmentBytes });
  const live = createLiveStream({
    windowSize: resolved.window, targetDuration: resolved.targetDuration, media, logger, stateFile: createStateFile(resolved.mediaDir),
  });
  const authorize = createAuthorizer(resolved.publishToken);
  const mjpeg = createMjpegHub({ idleMs: resolved.mjpegIdleSeconds * 1000 });
  const ingest = createMjpegIngest({ hub: mjpeg, authorize, logger, maxFrameBytes: resolved.maxMjpegFrameBytes });
  const metrics = createStreamerMetrics({ live });
  const app = createApp({
    live,
    mjpeg,
    metrics,
    logger,
    authorize,
    corsOrigin: resolved.corsOrigin,
    webroot: resolved.webroot,
    hlsJsFile: resolveHlsJs(),
    viewerToken: resolved.viewerToken,
    maxUploads: resolved.maxUploads,
  });
  let server: Server | undefined;

  return {
    app,
    options: resolved,
    live,
    mjpeg,
    metrics,

    async listen(port = resolved.port, host = resolved.host) {
      if (server) throw new Error('This streamer is already listening; create another one.');
      checkPublishExposure(host, resolved.publishToken, resolved.allowOpenPublish);
      await media.ready();
      await live.restore();
      if (!existsSync(resolved.webroot)) logger.warn({ webroot: resolved.webroot }, 'webroot folder missing: only the API is served');
      if (resolved.window < 3) {
        logger.warn({ window: resolved.window }, 'a window under 3 segments lists less than the three target durations RFC 8216 6.2.2 asks of a live playlist');
      }
      const koa = app.callback();
      const fast = createFastPath({ live, corsOrigin: resolved.corsOrigin, viewerToken: resolved.viewerToken, metrics });
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
      logger.info({ url, host, port: address.port, mediaDir: resolved.mediaDir, window: resolved.window, auth: resolved.publishToken !== undefined }, `listening on ${url}`);
      return { port: address.port, url };
    },

    async close() {
      const saved = live.close();
      metrics.close();
      ingest.close();
      mjpeg.close();
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
