// The Koa application: error boundary, common headers, routes, then the webroot as fallback.
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { Logger } from 'pino';
import { isExpectedError } from '../errors.js';
import type { LiveStream } from '../live-stream.js';
import type { StreamerMetrics } from '../metrics.js';
import type { MjpegHub } from '../mjpeg/hub.js';
import type { Authorize } from './auth.js';
import { errorBoundary } from './errors.js';
import { metricsMiddleware, registerMetricsRoute } from './metrics.js';
import { registerMjpegRoutes } from './mjpeg-route.js';
import { registerPartRoute } from './part-route.js';
import { registerPlaylistRoute } from './playlist-route.js';
import { registerPublishRoutes } from './publish-route.js';
import { commonHeaders, type HeaderOptions } from './response-headers.js';
import { registerSegmentRoute } from './segment-route.js';
import { registerVendorRoute, webrootFiles } from './static-route.js';
import { uploadLimit } from './upload-limit.js';
import { viewerAuth } from './viewer-auth.js';

export interface AppDependencies {
  readonly live: LiveStream;
  readonly mjpeg: MjpegHub;
  readonly logger: Logger;
  readonly authorize: Authorize;
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
}

// Errors of clients that went away mid-response: worth a debug line, not an alarm.
const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export function createApp(deps: AppDependencies): Koa {
  const { live, logger, corsOrigin } = deps;
  const headers: HeaderOptions = { corsOrigin };
  const app = new Koa();

  const decorate = (ctx: Context) => {
    ctx.set(commonHeaders(headers, ctx.method));
  };

  app.on('error', (error: NodeJS.ErrnoException, ctx?: Context) => {
    const where = { method: ctx?.method, path: ctx?.path };
    if (isExpectedError(error)) logger.info({ code: error.code, ...where }, error.message);
    else if (error.code !== undefined && CLIENT_GONE.has(error.code)) logger.debug({ err: error, ...where }, 'client went away');
    else logger.error({ err: error, ...where }, 'request failed');
  });

  if (deps.metrics) app.use(metricsMiddleware(deps.metrics, live));
  app.use(errorBoundary(decorate));
  app.use(async (ctx, next) => {
    const started = performance.now();
    decorate(ctx);
    if (ctx.method === 'OPTIONS' && corsOrigin !== null) {
      // Preflight for viewers on other origins: reading is all they may do.
      ctx.set('Access-Control-Allow-Methods', 'GET, HEAD');
      ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || 'Range');
      ctx.set('Access-Control-Max-Age', '600');
      ctx.status = 204;
      return;
    }
    await next();
    logger.debug({ method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) }, 'request');
  });

  app.use(viewerAuth(deps.viewerToken));
  app.use(uploadLimit(deps.maxUploads ?? 8));

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = live.health();
  });
  if (deps.metrics) registerMetricsRoute(router, deps.metrics);
  registerPlaylistRoute(router, live, headers);
  registerSegmentRoute(router, live, headers);
  registerPartRoute(router, live, headers);
  registerMjpegRoutes(router, deps.mjpeg);
  registerVendorRoute(router, deps.hlsJsFile);
  registerPublishRoutes(router, { live, authorize: deps.authorize });
  app.use(router.routes());
  app.use(webrootFiles(deps.webroot));
  return app;
}
