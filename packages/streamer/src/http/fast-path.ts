// The GETs every viewer repeats (the playlist each target duration, then each new segment, and
// with Low-Latency HLS each part), answered on Node's http server before Koa. On these small
// in-memory responses Koa's context, router and middleware chain cost about half the throughput
// (bench/serving.mjs: 0.41x nginx through Koa on the playlist at 50 connections). Only the plain
// case is taken here: exact paths, no query string (Low-Latency HLS parameters, `?token=`), no
// Range, no q-values in Accept-Encoding, a segment or part already there, and with a viewer
// token only a request whose cookie or Bearer header carries it. Everything else, misses and
// refusals included, falls through to Koa's routes. Both build their headers with
// response-headers.ts and check the token with viewer-auth.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveStream } from '../live-stream.js';
import type { StreamerMetrics } from '../metrics.js';
import { viewerKey } from './metrics.js';
import { holdMs, PART_PATH } from './part-route.js';
import { PLAYLIST_PATH } from './playlist-route.js';
import { createExpires, identityBody } from './response-cache.js';
import { type HeaderOptions, partHeaders, playlistHeaders, type ResponseHeaders, SEGMENT_MAX_AGE_SECONDS, segmentHeaders } from './response-headers.js';
import { createViewerCheck } from './viewer-auth.js';

export interface FastPathOptions {
  readonly live: LiveStream;
  /** Null sends no CORS header. */
  readonly corsOrigin: string | null;
  /** When set, only requests carrying it (cookie or Bearer) are answered here; the rest go to Koa. */
  readonly viewerToken?: string | undefined;
  readonly metrics?: StreamerMetrics | undefined;
  readonly now?: () => number;
}

/** Answers the request and returns true, or returns false without touching it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const SEGMENTS_PREFIX = '/segments/';
const PARTS_PREFIX = '/parts/';
// A plain file name: anything needing decoding or confinement goes to Koa's checks.
const PLAIN_NAME = /^[\w.-]+$/;

/** gzip accepted, identity accepted, or undefined when q-values need full negotiation. */
function wantsGzip(acceptEncoding: string | undefined): boolean | undefined {
  if (acceptEncoding === undefined) return false;
  if (acceptEncoding.includes(';')) return undefined;
  return acceptEncoding.includes('gzip') || acceptEncoding.includes('*');
}

/** The last headers made by `build`, made again only when `key` changes (the Expires second, a part max-age). */
function memo<K>(build: (key: K) => ResponseHeaders): (key: K) => ResponseHeaders {
  let last: K | undefined;
  let value: ResponseHeaders | undefined;
  return (key) => {
    if (value === undefined || key !== last) {
      last = key;
      value = build(key);
    }
    return value;
  };
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { live, metrics } = options;
  const headers: HeaderOptions = { corsOrigin: options.corsOrigin };
  const expires = createExpires(SEGMENT_MAX_AGE_SECONDS, options.now);
  const playlistIdentity = playlistHeaders(headers, false);
  const playlistGzip = playlistHeaders(headers, true);
  const segment = memo((date: string) => segmentHeaders(headers, date));
  const part = memo((maxAge: number) => partHeaders(headers, maxAge));
  const viewer = options.viewerToken === undefined ? undefined : createViewerCheck(options.viewerToken);

  const send = (req: IncomingMessage, res: ServerResponse, headers: ResponseHeaders, body: Buffer) => {
    // Headers are set one by one: writeHead(status, object) would merge into a fresh object anyway.
    for (const name in headers) res.setHeader(name, headers[name]!);
    res.setHeader('Content-Length', body.length);
    res.statusCode = 200;
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const playlistPath = url === PLAYLIST_PATH;
    if (!playlistPath && !url.startsWith(SEGMENTS_PREFIX) && !url.startsWith(PARTS_PREFIX)) return false;
    // Without the token Koa answers (401, or the cookie set from `?token=`).
    if (viewer && !viewer.check({ cookie: req.headers.cookie, authorization: req.headers.authorization })) return false;
    if (playlistPath) {
      const gzip = wantsGzip(req.headers['accept-encoding']);
      if (gzip === undefined) return false;
      const playlist = live.playlist();
      send(req, res, gzip ? playlistGzip : playlistIdentity, gzip ? playlist.gzip : identityBody(playlist));
      if (metrics) {
        metrics.playlist(200);
        metrics.viewer(viewerKey(req.socket.remoteAddress, req.headers['user-agent']));
      }
      return true;
    }
    if (req.headers.range !== undefined) return false;
    if (url.startsWith(SEGMENTS_PREFIX)) {
      const name = url.slice(SEGMENTS_PREFIX.length);
      if (!PLAIN_NAME.test(name)) return false;
      const bytes = live.segment(name);
      if (!bytes) return false;
      send(req, res, segment(expires()), bytes);
      metrics?.segment(200, bytes.length);
      return true;
    }
    if (url.startsWith(PARTS_PREFIX)) {
      // A part not there yet may be the hinted one, which Koa holds until it arrives.
      const m = PART_PATH.exec(url.slice(PARTS_PREFIX.length));
      const bytes = m ? live.part(Number(m[1]), Number(m[2])) : undefined;
      if (!bytes) return false;
      send(req, res, part(Math.round(holdMs(live.state()) / 1000)), bytes);
      return true;
    }
    return false;
  };
}
