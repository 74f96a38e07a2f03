// POST /publish/:file/:duration and POST /publish/end (docs/PROTOCOL.md). Every check runs
// before the live stream is touched, so a refused request changes nothing.
import type { IncomingMessage } from 'node:http';
import type Router from '@koa/router';
import {
  PUBLISH_END_PATH,
  PUBLISH_PREFIX,
  parsePartHeaders,
  parsePublishHeaders,
  parsePublishPath,
  parseSessionHeader,
  parseStreamHeader,
} from '@hls-live/protocol';
import type { StreamRegistry } from '../streams/registry.js';

export interface PublishRouteOptions {
  /** The stream of a request is its `X-Stream` header's (`default` without one); each checks its own publish token. */
  readonly streams: Pick<StreamRegistry, 'get' | 'open' | 'authorize'>;
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
  const { streams } = options;
  const discardMs = options.discardMs ?? 2000;

  router.post(PUBLISH_END_PATH, (ctx) => {
    const name = parseStreamHeader(ctx.req.headers);
    streams.authorize(name, ctx.get('Authorization') || undefined);
    const stream = streams.get(name);
    parseSessionHeader(ctx.req.headers);
    if (!stream) {
      ctx.body = { sequence: null, ended: true };
      return;
    }
    stream.active();
    ctx.body = stream.live.end();
  });

  router.post(`${PUBLISH_PREFIX}*rest`, async (ctx) => {
    try {
      // Every check of the request runs before a new stream is created for it.
      const streamName = parseStreamHeader(ctx.req.headers);
      streams.authorize(streamName, ctx.get('Authorization') || undefined);
      const { name, duration } = parsePublishPath(ctx.path.slice(PUBLISH_PREFIX.length));
      const headers = parsePublishHeaders(ctx.req.headers, duration, Date.now());
      const part = parsePartHeaders(ctx.req.headers);
      const stream = await streams.open(streamName);
      stream.active();
      const { live } = stream;
      if (part) {
        // A Low-Latency HLS part of segment `name` (X-Part-Index): listed at once, the segment when it closes.
        const result = await live.publishPart({ segment: name, duration, ...headers, ...part }, ctx.req, contentLength(ctx.req));
        ctx.status = 201;
        ctx.body = {
          sequence: result.sequence,
          part: result.index,
          file: name,
          duration,
          closed: result.closed.map((s) => ({ sequence: s.sequence, file: s.name, duration: s.duration })),
        };
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
