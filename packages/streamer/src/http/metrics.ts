// Counts what Koa answers on the streamer's routes for the metrics (mounted first, outside the
// error boundary, so it sees every final status), and serves `GET /metrics` as a route, behind
// the viewer token when there is one.
import type Router from '@koa/router';
import { PUBLISH_PREFIX } from '@hls-live/protocol';
import type { Middleware } from 'koa';
import type { LiveStream } from '../live-stream.js';
import type { StreamerMetrics } from '../metrics.js';
import { PLAYLIST_PATH } from './playlist-route.js';

export const METRICS_PATH = '/metrics';
const SEGMENTS_PREFIX = '/segments/';

/** What the metrics call one client: its address and user agent. */
export function viewerKey(address: string | undefined, userAgent: string | undefined): string {
  return `${address ?? ''} ${userAgent ?? ''}`;
}

export function metricsMiddleware(metrics: StreamerMetrics, live: LiveStream): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    await next();
    const { path, method, status } = ctx;
    if (method === 'GET' || method === 'HEAD') {
      if (path === PLAYLIST_PATH) {
        metrics.playlist(status);
        if (status === 200) metrics.viewer(viewerKey(ctx.req.socket.remoteAddress, ctx.get('User-Agent')));
      } else if (path.startsWith(SEGMENTS_PREFIX)) {
        metrics.segment(status, status === 200 ? ctx.response.length ?? 0 : 0);
      }
    } else if (method === 'POST' && path.startsWith(PUBLISH_PREFIX)) {
      const body = ctx.body as { file?: unknown; sequence?: unknown } | undefined;
      // Only a listed segment counts as published (not /publish/end, not a refusal).
      const file = status === 201 && typeof body?.file === 'string' && body.sequence !== undefined ? body.file : undefined;
      metrics.publishRequest(status);
      if (file !== undefined) metrics.published(live.segment(file)?.length ?? ctx.request.length ?? 0, (performance.now() - started) / 1000);
    }
  };
}

export function registerMetricsRoute(router: Router, metrics: StreamerMetrics): void {
  router.get(METRICS_PATH, async (ctx) => {
    ctx.set('Content-Type', metrics.contentType);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await metrics.render();
  });
}
