// The one HTTP error boundary: expected errors become `{ error: { code, message } }` with their
// status; anything else is a 500 with a generic message, reported through app.on('error').
import type { Context, Middleware } from 'koa';
import { isStreamerError, type StreamerErrorCode } from '../errors.js';

// INVALID_OPTION is a startup error and never reaches a request.
const STATUS: Record<Exclude<StreamerErrorCode, 'INVALID_OPTION'>, number> = {
  INVALID_SEGMENT_NAME: 400,
  INVALID_DURATION: 400,
  INVALID_HEADER: 400,
  INVALID_PATH: 400,
  CLIENT_ABORTED: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  SEGMENT_NOT_FOUND: 404,
  NO_FRAME: 404,
  SEGMENT_EXISTS: 409,
  BODY_TOO_LARGE: 413,
  NOT_MPEG_TS: 415,
  // MJPEG frames arrive over a WebSocket and are refused with a close code (docs/PROTOCOL.md);
  // these statuses only keep the mapping total.
  INVALID_FRAME: 400,
  NOT_JPEG: 415,
  SEGMENT_TOO_LONG: 422,
  SEGMENT_FILE_MISSING: 422,
  // Low-Latency HLS (docs/PROTOCOL.md): parts and blocking playlist reload.
  PART_OUT_OF_ORDER: 422,
  PART_NOT_INDEPENDENT: 422,
  PART_NOT_FOUND: 404,
  INVALID_BLOCKING_REQUEST: 400,
  BLOCKING_TIMEOUT: 503,
  VIEWER_UNAUTHORIZED: 401,
  TOO_MANY_UPLOADS: 503,
  // The server's disk, not the request, is at fault: the publisher retries these (5xx).
  STORAGE_FULL: 507,
  STORAGE_UNWRITABLE: 500,
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
      const status = isStreamerError(error) ? statusOf(error.code) : undefined;
      if (isStreamerError(error) && status !== undefined) {
        ctx.status = status;
        ctx.body = { error: { code: error.code, message: error.message } };
        if (error.code === 'UNAUTHORIZED') ctx.set('WWW-Authenticate', 'Bearer');
        if (error.code === 'TOO_MANY_UPLOADS') ctx.set('Retry-After', '1');
      } else {
        ctx.status = 500;
        ctx.body = { error: { code: 'INTERNAL', message: 'The streamer failed to handle this request; see its log.' } };
        ctx.app.emit('error', error, ctx);
      }
      ctx.type = 'application/json';
    }
  };
}
