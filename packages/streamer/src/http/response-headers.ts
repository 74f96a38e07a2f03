// The headers of every answer that both the fast path and the Koa routes give: pure functions of
// the options, so a header changes here and nowhere else. Content-Length follows from the body
// (Koa's body setter, the fast path's send) and is compared byte for byte by the fast-path test.

/** Header name -> value, as `ctx.set(headers)` and `res.setHeader` take them. */
export type ResponseHeaders = Readonly<Record<string, string>>;

export interface HeaderOptions {
  /** `Access-Control-Allow-Origin` on reads; null sends no CORS header. */
  readonly corsOrigin: string | null;
}

/** Segments never change once published, so caches may keep them this long. */
export const SEGMENT_MAX_AGE_SECONDS = 86_400;

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const NOSNIFF: ResponseHeaders = { 'X-Content-Type-Options': 'nosniff' };

/** What every answer carries, errors included: nosniff always, CORS on reads only (publishing is never opened to browsers). */
export function commonHeaders(options: HeaderOptions, method: string): ResponseHeaders {
  return options.corsOrigin !== null && READS.has(method) ? { ...NOSNIFF, 'Access-Control-Allow-Origin': options.corsOrigin } : NOSNIFF;
}

/** The live playlist: never cached (it changes every segment), gzip when the client accepts it. */
export function playlistHeaders(options: HeaderOptions, gzip: boolean): ResponseHeaders {
  return {
    ...commonHeaders(options, 'GET'),
    'Content-Type': 'application/vnd.apple.mpegurl',
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    Expires: '0',
    Vary: 'Accept-Encoding',
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
  };
}

/** A segment: immutable, cacheable for a day; `expires` is the matching `Expires` date. */
export function segmentHeaders(options: HeaderOptions, expires: string): ResponseHeaders {
  return {
    ...commonHeaders(options, 'GET'),
    'Content-Type': 'video/mp2t',
    'Cache-Control': `public, max-age=${SEGMENT_MAX_AGE_SECONDS}, immutable`,
    Expires: expires,
  };
}

/** A Low-Latency HLS part: immutable like a segment, its URL carries the run's epoch so it names one set of bytes forever. */
export function partHeaders(options: HeaderOptions): ResponseHeaders {
  return {
    ...commonHeaders(options, 'GET'),
    'Content-Type': 'video/mp2t',
    'Cache-Control': `public, max-age=${SEGMENT_MAX_AGE_SECONDS}, immutable`,
  };
}
