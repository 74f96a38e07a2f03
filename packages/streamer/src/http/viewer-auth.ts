// Optional viewer token. `?token=` on any protected URL (usually the page) is checked and then
// kept in an HttpOnly cookie, so hls.js requests and <img src="/mjpeg"> carry it with no code
// of their own; a `?token=` or a Bearer header works on every request too (curl, ffplay).
// The check is written once and used by the Koa middleware and by the fast path alike.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parseBearer } from '@hls-live/protocol';
import type { Context, Middleware } from 'koa';
import { StreamerError } from '../errors.js';

export const VIEWER_COOKIE = 'hls_viewer';
/**
 * Paths anyone may GET: liveness (`/healthz`: probes carry no token, and it tells only whether a
 * stream is live and its segment count) and the public hls.js library. Publishing has its own token.
 * `/metrics` is not here: it reveals viewer counts and traffic, so it needs the viewer token too.
 */
const OPEN = [/^\/healthz$/, /^\/vendor\//, /^\/publish\//];

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** What a request presents: `?token=`, the Cookie header and the Authorization header. */
export interface ViewerCredentials {
  readonly query?: string | undefined;
  readonly cookie?: string | undefined;
  readonly authorization?: string | undefined;
}

export interface ViewerCheck {
  /** `query` when `?token=` matched (the cookie is then set), `other` for the cookie or Bearer, false for none. */
  check(credentials: ViewerCredentials): 'query' | 'other' | false;
  /** The cookie value: a keyed hash of the token, so a leaked cookie does not reveal the token. */
  readonly cookie: string;
}

/** The comparisons, constant time: both sides are hashed first so lengths are always equal. */
export function createViewerCheck(token: string): ViewerCheck {
  const expected = digest(token);
  const cookie = createHmac('sha256', token).update('hls-viewer-cookie-v1').digest('base64url');
  const expectedCookie = digest(cookie);
  const matches = (given: string | undefined, want: Buffer) => given !== undefined && given !== '' && timingSafeEqual(digest(given), want);
  return {
    cookie,
    check({ query, cookie: cookieHeader, authorization }) {
      if (matches(query, expected)) return 'query';
      if (matches(cookieValue(cookieHeader, VIEWER_COOKIE), expectedCookie)) return 'other';
      return matches(parseBearer(authorization), expected) ? 'other' : false;
    },
  };
}

/** True for reads the viewer token guards (not HEAD/GET of the open paths, never other methods). */
export function needsViewerToken(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && !OPEN.some((re) => re.test(path));
}

export function viewerAuth(token: string | undefined): Middleware {
  if (token === undefined) return (_ctx, next) => next();
  const viewer = createViewerCheck(token);

  const authorised = (ctx: Context) => {
    const query = ctx.query.token;
    return viewer.check({ query: typeof query === 'string' ? query : undefined, cookie: ctx.get('Cookie'), authorization: ctx.get('Authorization') });
  };

  return async (ctx, next) => {
    if (!needsViewerToken(ctx.method, ctx.path)) return next();
    const how = authorised(ctx);
    if (!how) {
      throw new StreamerError('VIEWER_UNAUTHORIZED', 'This stream needs the viewer token: open the page as /?token=<viewer token> once (a cookie keeps it).');
    }
    if (how === 'query') {
      ctx.cookies.set(VIEWER_COOKIE, viewer.cookie, { httpOnly: true, sameSite: 'lax', path: '/', overwrite: true, secure: ctx.secure });
    }
    await next();
  };
}
