// The one HTTP error boundary: expected errors become `{ error: { code, message } }` with their
// status; anything else is a 500 with a generic message, reported through app.on('error').
import type { Context, Middleware } from 'koa';
import {
  AUTH_CHALLENGE,
  PUBLISH_ERRORS,
  TOO_MANY_UPLOADS_RETRY_AFTER_SECONDS,
  WHEP_ERRORS,
  WHEP_RETRY_AFTER_SECONDS,
  type PublishErrorCode,
} from '@hls-live/protocol';
import { isExpectedError, type StreamerErrorCode } from '../errors.js';

// The publish contract's statuses are the protocol package's; the rest are the streamer's own.
const PUBLISH_STATUS = Object.fromEntries(Object.entries(PUBLISH_ERRORS).map(([code, { status }]) => [code, status])) as Record<PublishErrorCode, number>;

// INVALID_OPTION is a startup error and never reaches a request.
const STATUS: Record<Exclude<StreamerErrorCode, 'INVALID_OPTION'>, number> = {
  ...PUBLISH_STATUS,
  ...WHEP_ERRORS,
  INVALID_PATH: 400,
  CLIENT_ABORTED: 400,
  NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  STREAM_NOT_FOUND: 404,
  NO_FRAME: 404,
  // MJPEG frames arrive over a WebSocket and are refused with a close code (docs/PROTOCOL.md);
  // these statuses only keep the mapping total.
  INVALID_FRAME: 400,
  NOT_JPEG: 415,
  INVALID_VIDEO: 400,
  // Low-Latency HLS (docs/PROTOCOL.md): parts and blocking playlist reload.
  PART_NOT_FOUND: 404,
  INVALID_BLOCKING_REQUEST: 400,
  BLOCKING_TIMEOUT: 503,
  VIEWER_UNAUTHORIZED: 401,
};

export function statusOf(code: StreamerErrorCode): number | undefined {
  return code === 'INVALID_OPTION' ? undefined : STATUS[code];
}

/** `decorate` re-applies headers every response carries (CORS, nosniff) after a reset. */
export function errorBoundary(decorate: (ctx: Context) => void): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null) {
        ctx.status = 404;
        ctx.body = { error: { code: 'NOT_FOUND', message: `Nothing at ${ctx.method} ${ctx.path.slice(0, 200)}.` } };
      }
    } catch (error) {
      if (ctx.headerSent || !ctx.writable) {
        ctx.app.emit('error', error, ctx);
        return;
      }
      // Headers a handler set before failing (content type, encoding) must not leak into the error.
      for (const name of ctx.res.getHeaderNames()) ctx.res.removeHeader(name);
      decorate(ctx);
      ctx.set('Cache-Control', 'no-store');
      const status = isExpectedError(error) ? statusOf(error.code) : undefined;
      if (isExpectedError(error) && status !== undefined) {
        ctx.status = status;
        ctx.body = { error: { code: error.code, message: error.message } };
        if (error.code === 'UNAUTHORIZED') ctx.set('WWW-Authenticate', AUTH_CHALLENGE);
        if (error.code === 'TOO_MANY_UPLOADS') ctx.set('Retry-After', String(TOO_MANY_UPLOADS_RETRY_AFTER_SECONDS));
        if (status === 503 && error.code in WHEP_ERRORS) ctx.set('Retry-After', String(WHEP_RETRY_AFTER_SECONDS));
      } else {
        ctx.status = 500;
        ctx.body = { error: { code: 'INTERNAL', message: 'The streamer failed to handle this request; see its log.' } };
        ctx.app.emit('error', error, ctx);
      }
      ctx.type = 'application/json';
    }
  };
}
