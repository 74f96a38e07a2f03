// The Koa application: error boundary, common headers, routes, then the webroot as fallback.
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { Logger } from 'pino';
import { isExpectedError } from '../errors.js';
import type { StreamerMetrics } from '../metrics.js';
import type { StreamRegistry } from '../streams/registry.js';
import { errorBoundary } from './errors.js';
import { metricsMiddleware, registerMetricsRoute } from './metrics.js';
import { registerMjpegRoutes } from './mjpeg-route.js';
import { registerPartRoute } from './part-route.js';
import { registerPlaylistRoute } from './playlist-route.js';
import { registerPublishRoutes } from './publish-route.js';
import { commonHeaders, type HeaderOptions } from './response-headers.js';
import { registerSegmentRoute } from './segment-route.js';
import { streamRoutes } from './stream-lookup.js';
import { registerStreamsRoute } from './streams-route.js';
import { registerVendorRoute, webrootFiles } from './static-route.js';
import { uploadLimit } from './upload-limit.js';
import { viewerAuth } from './viewer-auth.js';
import { registerWhepRoutes, whepMethods } from './whep-route.js';
import type { WebRtcSessions } from '../webrtc/sessions.js';

export interface AppDependencies {
  /** Every stream: `default` at the original paths, each one (`default` too) under `/live/<name>/`. */
  readonly streams: StreamRegistry;
  readonly logger: Logger;
  /** Null disables CORS headers. */
  readonly corsOrigin: string | null;
  readonly webroot: string;
  readonly hlsJsFile: string;
  /** Counts requests and serves `GET /metrics`; none: no metrics. */
  readonly metrics?: StreamerMetrics | undefined;
  /** Token viewers must present; none leaves viewing open. */
  readonly viewerToken?: string | undefined;
  /** Publish uploads received at once. Default 8. */
  readonly maxUploads?: number | undefined;
  /** WebRTC playback (WHEP at /whep); none: no WHEP routes. */
  readonly webrtc?: WebRtcSessions | undefined;
}

// Errors of clients that went away mid-response: worth a debug line, not an alarm.
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export function createApp(deps: AppDependencies): Koa {
  const { streams, logger, corsOrigin } = deps;
  const { live } = streams.default;
  const headers: HeaderOptions = { corsOrigin };
  const app = new Koa();

  const decorate = (ctx: Context) => {
    ctx.set(commonHeaders(headers, ctx.method));
    // A viewer page on another origin POSTs its offer and DELETEs its session: both are reads of the stream.
    if (corsOrigin !== null && whepMethods(ctx.path) !== undefined)
      ctx.set({ 'Access-Control-Allow-Origin': corsOrigin, 'Access-Control-Expose-Headers': 'Location' });
  };

  app.on('error', (error: NodeJS.ErrnoException, ctx?: Context) => {
    const where = { method: ctx?.method, path: ctx?.path };
    if (isExpectedError(error)) logger.info({ code: error.code, ...where }, error.message);
    else if (error.code !== undefined && CLIENT_GONE.has(error.code)) logger.debug({ err: error, ...where }, 'client went away');
    else logger.error({ err: error, ...where }, 'request failed');
  });

  if (deps.metrics) app.use(metricsMiddleware(deps.metrics, streams));
  app.use(errorBoundary(decorate));
  app.use(async (ctx, next) => {
    const started = performance.now();
    decorate(ctx);
    if (ctx.method === 'OPTIONS' && corsOrigin !== null) {
      // Preflight for viewers on other origins: reading (and WebRTC playback) is all they may do.
      const whep = whepMethods(ctx.path);
      ctx.set('Access-Control-Allow-Methods', whep ?? 'GET, HEAD');
      ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || (whep ? 'Content-Type, Authorization' : 'Range'));
      if (whep) ctx.set('Accept-Post', 'application/sdp');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
    logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
  });

  app.use(viewerAuth(deps.viewerToken, (name) => streams.get(name)?.viewerToken));
  app.use(uploadLimit(deps.maxUploads ?? 8));

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = live.health();
  });
  if (deps.metrics) registerMetricsRoute(router, deps.metrics);
  for (const { prefix, pick } of streamRoutes(streams)) {
    registerPlaylistRoute(router, pick, headers, prefix);
    registerSegmentRoute(router, pick, headers, prefix);
    registerPartRoute(router, pick, headers, prefix);
    registerMjpegRoutes(router, pick, prefix);
  }
  registerStreamsRoute(router, { streams, metrics: deps.metrics, webrtc: deps.webrtc !== undefined });
  registerVendorRoute(router, deps.hlsJsFile);
  registerPublishRoutes(router, { streams });
  if (deps.webrtc) for (const { prefix, pick } of streamRoutes(streams)) registerWhepRoutes(router, deps.webrtc, pick, prefix);
  app.use(router.routes());
  app.use(webrootFiles(deps.webroot));
  return app;
}
