// Counts what Koa answers on the streamer's routes for the metrics (mounted first, outside the
// error boundary, so it sees every final status), and serves `GET /metrics` as a route, behind
// the viewer token when there is one.
import type Router from '@koa/router';
import { DEFAULT_STREAM, PUBLISH_PREFIX, splitLivePath } from '@hls-live/protocol';
import type { Middleware } from 'koa';
import type { StreamRegistry } from '../streams/registry.js';
import type { StreamerMetrics } from '../metrics.js';
import { PLAYLIST_PATH } from './playlist-route.js';

export const METRICS_PATH = '/metrics';
const SEGMENTS_PREFIX = '/segments/';

/** What the metrics call one client: its address and user agent. */
export function viewerKey(address: string | undefined, userAgent: string | undefined): string {
  return `${address ?? ''} ${userAgent ?? ''}`;
}

export function metricsMiddleware(metrics: StreamerMetrics, streams: Pick<StreamRegistry, 'get'>): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    await next();
    const { method, status } = ctx;
    // `/live/<name>/...` counts for `<name>` (a bad name's 400 as well, under the name given, cut short).
    const live = splitLivePath(ctx.path);
    const stream = live ? live.stream.slice(0, 64) : DEFAULT_STREAM;
    const path = live ? live.rest : ctx.path;
    if (method === 'GET' || method === 'HEAD') {
      // Only names that exist get a label: unknown ones would grow the label set without bound.
      if (live && !streams.get(stream)) return;
      if (path === PLAYLIST_PATH) {
        metrics.playlist(status, stream);
        if (status === 200) metrics.viewer(viewerKey(ctx.req.socket.remoteAddress, ctx.get('User-Agent')), stream);
      } else if (path.startsWith(SEGMENTS_PREFIX)) {
        metrics.segment(status, status === 200 ? (ctx.response.length ?? 0) : 0, stream);
      }
    } else if (method === 'POST' && path.startsWith(PUBLISH_PREFIX)) {
      const body = ctx.body as { file?: unknown; sequence?: unknown } | undefined;
      // Only a listed segment counts as published (not /publish/end, not a refusal).
      const file = status === 201 && typeof body?.file === 'string' && body.sequence !== undefined ? body.file : undefined;
      // The stream of a publish is its X-Stream header's; one that names no stream held here counts as `default`.
      const named = streams.get(ctx.get('X-Stream') || DEFAULT_STREAM);
      const publishedTo = named?.name ?? DEFAULT_STREAM;
      metrics.publishRequest(status, publishedTo);
      if (file !== undefined)
        metrics.published(named?.live.segment(file)?.length ?? ctx.request.length ?? 0, (performance.now() - started) / 1000, publishedTo);
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
