// Optional viewer token. `?token=` on any protected URL (usually the page) is checked and then
// kept in an HttpOnly cookie, so hls.js requests and <img src="/mjpeg"> carry it with no code
// of their own; a `?token=` or a Bearer header works on every request too (curl, ffplay).
// The check is written once and used by the Koa middleware and by the fast path alike.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DEFAULT_STREAM, isStreamName, parseBearer, splitLivePath, WHEP_PATH } from '@hls-live/protocol';
import type { Middleware } from 'koa';
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
  readonly cookieName: string;
}

/** The cookie of a stream with its own viewer token (--config): one per stream, beside the global one. */
export function streamCookieName(stream: string): string {
  return `${VIEWER_COOKIE}_${stream}`;
}

/**
 * The stream a viewer request reads, for its own viewer token: `/live/<name>/...` and the player
 * page `/watch/<name>` are `<name>`'s, the original stream paths `default`'s; undefined for the rest.
 */
export function viewedStream(path: string): string | undefined {
  const live = splitLivePath(path) ?? (path.startsWith('/watch/') ? { stream: path.slice('/watch/'.length).replace(/\/$/, '') } : undefined);
  if (live) return isStreamName(live.stream) ? live.stream : undefined;
  return /^\/(stream\.m3u8|segments\/|parts\/|mjpeg$|snapshot\.jpg$|whep$|whep\/)/.test(path) ? DEFAULT_STREAM : undefined;
}

/** The comparisons, constant time: both sides are hashed first so lengths are always equal. */
export function createViewerCheck(token: string, cookieName = VIEWER_COOKIE): ViewerCheck {
  const expected = digest(token);
  const cookie = createHmac('sha256', token).update('hls-viewer-cookie-v1').digest('base64url');
  const expectedCookie = digest(cookie);
  const matches = (given: string | undefined, want: Buffer) => given !== undefined && given !== '' && timingSafeEqual(digest(given), want);
  return {
    cookie,
    cookieName,
    check({ query, cookie: cookieHeader, authorization }) {
      if (matches(query, expected)) return 'query';
      if (matches(cookieValue(cookieHeader, cookieName), expectedCookie)) return 'other';
      return matches(parseBearer(authorization), expected) ? 'other' : false;
    },
  };
}

/** True for reads the viewer token guards (not HEAD/GET of the open paths, never other methods but WHEP's). */
export function needsViewerToken(method: string, path: string): boolean {
  // WebRTC playback is viewing: its offer and its session (all but the CORS preflight) need the token.
  const rest = splitLivePath(path)?.rest ?? path;
  if (rest === WHEP_PATH || rest.startsWith(`${WHEP_PATH}/`)) return method !== 'OPTIONS';
  return (method === 'GET' || method === 'HEAD') && !OPEN.some((re) => re.test(path));
}

/**
 * `token` guards every read; a stream with its own viewer token (`streamToken`, from --config) is
 * read with that token or the global one, each kept in its own cookie.
 */
export function viewerAuth(token: string | undefined, streamToken: (stream: string) => string | undefined = () => undefined): Middleware {
  const global = token === undefined ? undefined : createViewerCheck(token);
  const own = new Map<string, ViewerCheck>();
  const ownCheck = (stream: string | undefined) => {
    const streamOwn = stream === undefined ? undefined : streamToken(stream);
    if (streamOwn === undefined) return undefined;
    const key = `${stream}\0${streamOwn}`;
    let check = own.get(key);
    if (!check) {
      check = createViewerCheck(streamOwn, streamCookieName(stream!));
      own.set(key, check);
    }
    return check;
  };

  return async (ctx, next) => {
    if (!needsViewerToken(ctx.method, ctx.path)) return next();
    const checks = [ownCheck(viewedStream(ctx.path)), global].filter((check) => check !== undefined);
    if (checks.length === 0) return next();
    const query = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    const credentials = { query, cookie: ctx.get('Cookie'), authorization: ctx.get('Authorization') };
    let passed: ViewerCheck | undefined;
    let how: 'query' | 'other' | false = false;
    for (const check of checks) {
      how = check.check(credentials);
      if (how) {
        passed = check;
        break;
      }
    }
    if (!passed) {
      throw new StreamerError('VIEWER_UNAUTHORIZED', 'This stream needs the viewer token: open the page as /?token=<viewer token> once (a cookie keeps it).');
    }
    if (how === 'query') {
      ctx.cookies.set(passed.cookieName, passed.cookie, { httpOnly: true, sameSite: 'lax', path: '/', overwrite: true, secure: ctx.secure });
    }
    await next();
  };
}
