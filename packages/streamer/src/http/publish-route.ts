// POST /publish/:file/:duration and POST /publish/end (docs/PROTOCOL.md). Every check runs
// before the live stream is touched, so a refused request changes nothing.
import type { IncomingMessage } from 'node:http';
import type Router from '@koa/router';
import { PUBLISH_END_PATH, PUBLISH_PREFIX, parsePartHeaders, parsePublishHeaders, parsePublishPath, parseSessionHeader } from '@hls-live/protocol';
import type { LiveStream } from '../live-stream.js';
import type { Authorize } from './auth.js';

export interface PublishRouteOptions {
  readonly live: LiveStream;
  readonly authorize: Authorize;
  /** How long a refused upload may keep sending before its connection is cut. */
  readonly discardMs?: number;
}

// A refused upload's remaining bytes are read and dropped (never kept) so the client can read
// the error response; a client that keeps sending past the grace time is disconnected.
function discardBody(req: IncomingMessage, graceMs: number): void {
  if (req.readableEnded || req.destroyed) return;
  const timer = setTimeout(() => req.socket.destroy(), graceMs);
  const stop = () => clearTimeout(timer);
  req.once('end', stop).once('close', stop);
  req.resume();
}

function contentLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

export function registerPublishRoutes(router: Router, options: PublishRouteOptions): void {
  const { live, authorize } = options;
  const discardMs = options.discardMs ?? 2000;

  router.post(PUBLISH_END_PATH, (ctx) => {
    authorize(ctx.get('Authorization') || undefined);
    parseSessionHeader(ctx.req.headers);
    ctx.body = live.end();
  });

  router.post(`${PUBLISH_PREFIX}*rest`, async (ctx) => {
    try {
      authorize(ctx.get('Authorization') || undefined);
      const { name, duration } = parsePublishPath(ctx.path.slice(PUBLISH_PREFIX.length));
      const headers = parsePublishHeaders(ctx.req.headers, duration, Date.now());
      const part = parsePartHeaders(ctx.req.headers);
      if (part) {
        // A Low-Latency HLS part of segment `name` (X-Part-Index): listed at once, the segment when it closes.
        const result = await live.publishPart({ segment: name, duration, ...headers, ...part }, ctx.req, contentLength(ctx.req));
        ctx.status = 201;
        ctx.body = { sequence: result.sequence, part: result.index, file: name, duration, closed: result.closed.map((s) => ({ sequence: s.sequence, file: s.name, duration: s.duration })) };
        return;
      }
      const segment = await live.publish({ name, duration, ...headers }, ctx.req, contentLength(ctx.req));
      ctx.status = 201;
      ctx.body = { sequence: segment.sequence, file: segment.name, duration: segment.duration };
    } finally {
      discardBody(ctx.req, discardMs);
    }
  });
}
