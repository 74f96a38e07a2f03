// Optional viewer token. `?token=` on any protected URL (usually the page) is checked and then
// kept in an HttpOnly cookie, so hls.js requests and <img src="/mjpeg"> carry it with no code
// of their own; a `?token=` or a Bearer header works on every request too (curl, ffplay).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { StreamerError } from '../errors.js';

export const VIEWER_COOKIE = 'hls_viewer';
/** Paths anyone may GET: liveness and the public hls.js library. Publishing has its own token. */
const OPEN = [/^\/healthz$/, /^\/vendor\//, /^\/publish\//, /^\/metrics$/];

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

export function viewerAuth(token: string | undefined): Middleware {
  if (token === undefined) return (_ctx, next) => next();
  const expected = digest(token);
  // The cookie holds a keyed hash, not the token: a leaked cookie does not reveal the token.
  const cookie = createHmac('sha256', token).update('hls-viewer-cookie-v1').digest('base64url');
  const expectedCookie = digest(cookie);
  const matches = (given: string | undefined, want: Buffer) => given !== undefined && given !== '' && timingSafeEqual(digest(given), want);

  const authorised = (ctx: Context): 'query' | 'other' | false => {
    const query = ctx.query.token;
    if (matches(typeof query === 'string' ? query : undefined, expected)) return 'query';
    if (matches(cookieValue(ctx.get('Cookie'), VIEWER_COOKIE), expectedCookie)) return 'other';
    const bearer = /^Bearer\s+(.*?)\s*$/i.exec(ctx.get('Authorization'))?.[1];
    return matches(bearer, expected) ? 'other' : false;
  };

  return async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || OPEN.some((re) => re.test(ctx.path))) return next();
    const how = authorised(ctx);
    if (!how) {
      throw new StreamerError('VIEWER_UNAUTHORIZED', 'This stream needs the viewer token: open the page as /?token=<viewer token> once (a cookie keeps it).');
    }
    if (how === 'query') {
      ctx.cookies.set(VIEWER_COOKIE, cookie, { httpOnly: true, sameSite: 'lax', path: '/', overwrite: true, secure: ctx.secure });
    }
    await next();
  };
}
