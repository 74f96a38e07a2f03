// GET /segments/:file, answered from the bytes kept in memory: no disk read per request.
import type Router from '@koa/router';
import { StreamerError } from '../errors.js';
import { createExpires } from './response-cache.js';
import { type HeaderOptions, SEGMENT_MAX_AGE_SECONDS, segmentHeaders } from './response-headers.js';
import type { PickStream } from './stream-lookup.js';

export function registerSegmentRoute(router: Router, pick: PickStream, headers: HeaderOptions, prefix = ''): void {
  const expires = createExpires(SEGMENT_MAX_AGE_SECONDS);
  router.get(`${prefix}/segments/:file`, (ctx) => {
    const stream = pick(ctx);
    stream.watch.touch();
    const name = ctx.params.file ?? '';
    const bytes = stream.live.segment(name);
    if (!bytes) {
      throw new StreamerError('SEGMENT_NOT_FOUND', 'No such segment: it was never published or has been retired.', { name: name.slice(0, 200) });
    }
    ctx.body = bytes;
    ctx.set(segmentHeaders(headers, expires()));
  });
}
