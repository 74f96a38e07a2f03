// A cap on publish uploads received at once, so slow or hostile clients cannot hold every
// socket and buffer of the server. Over the cap the upload is refused before its body is read;
// 503 with Retry-After is what the publisher's uploader already retries.
import type { Middleware } from 'koa';
import { PUBLISH_END_PATH, PUBLISH_PREFIX } from '@hls-live/protocol';
import { StreamerError } from '../errors.js';

export function uploadLimit(max: number): Middleware {
  let active = 0;
  return async (ctx, next) => {
    if (ctx.method !== 'POST' || !ctx.path.startsWith(PUBLISH_PREFIX) || ctx.path === PUBLISH_END_PATH) return next();
    if (active >= max) {
      // The refused body is drained, never stored; the error boundary adds Retry-After.
      ctx.req.resume();
      throw new StreamerError('TOO_MANY_UPLOADS', `${max} uploads are already being received (--max-uploads); retry in a moment.`, { maxUploads: max });
    }
    active++;
    try {
      await next();
    } finally {
      active--;
    }
  };
}
