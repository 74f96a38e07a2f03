// The two GETs every viewer repeats (the playlist each target duration, then each new segment),
// answered on Node's http server before Koa. On these small in-memory responses Koa's context,
// router and middleware chain cost about half the throughput (bench/serving.mjs: 0.41x nginx
// through Koa on the playlist at 50 connections). Only the plain case is taken here: exact
// paths, no query string (Low-Latency HLS parameters), no Range, no q-values in Accept-Encoding,
// a segment in the window. Everything else, misses included, falls through to Koa's routes,
// which stay the reference for what these answers contain.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { LiveStream } from '../live-stream.js';
import type { StreamerMetrics } from '../metrics.js';
import { viewerKey } from './metrics.js';
import { PLAYLIST_PATH } from './playlist-route.js';
import { createExpires, identityBody } from './response-cache.js';
import { SEGMENT_MAX_AGE_SECONDS } from './segment-route.js';

export interface FastPathOptions {
  readonly live: LiveStream;
  /** Null sends no CORS header. */
  readonly corsOrigin: string | null;
  readonly metrics?: StreamerMetrics | undefined;
  readonly now?: () => number;
}

/** Answers the request and returns true, or returns false without touching it. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const SEGMENTS_PREFIX = '/segments/';
// A plain file name: anything needing decoding or confinement goes to Koa's checks.
const PLAIN_NAME = /^[\w.-]+$/;

/** gzip accepted, identity accepted, or undefined when q-values need full negotiation. */
function wantsGzip(acceptEncoding: string | undefined): boolean | undefined {
  if (acceptEncoding === undefined) return false;
  if (acceptEncoding.includes(';')) return undefined;
  return acceptEncoding.includes('gzip') || acceptEncoding.includes('*');
}

export function createFastPath(options: FastPathOptions): FastPath {
  const { live, corsOrigin, metrics } = options;
  const expires = createExpires(SEGMENT_MAX_AGE_SECONDS, options.now);
  const common: OutgoingHttpHeaders = { 'X-Content-Type-Options': 'nosniff' };
  if (corsOrigin !== null) common['Access-Control-Allow-Origin'] = corsOrigin;
  const playlistHeaders = {
    ...common,
    'Content-Type': 'application/vnd.apple.mpegurl',
    // A live playlist changes every segment: no cache may keep it.
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    Expires: '0',
    Vary: 'Accept-Encoding',
  };
  const gzipHeaders = { ...playlistHeaders, 'Content-Encoding': 'gzip' };
  const segmentHeaders: OutgoingHttpHeaders = { ...common, 'Content-Type': 'video/mp2t', 'Cache-Control': `public, max-age=${SEGMENT_MAX_AGE_SECONDS}, immutable` };

  const send = (req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders, body: Buffer) => {
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
    if (url === PLAYLIST_PATH) {
      const gzip = wantsGzip(req.headers['accept-encoding']);
      if (gzip === undefined) return false;
      const playlist = live.playlist();
      send(req, res, gzip ? gzipHeaders : playlistHeaders, gzip ? playlist.gzip : identityBody(playlist));
      if (metrics) {
        metrics.playlist(200);
        metrics.viewer(viewerKey(req.socket.remoteAddress, req.headers['user-agent']));
      }
      return true;
    }
    if (!url.startsWith(SEGMENTS_PREFIX) || req.headers.range !== undefined) return false;
    const name = url.slice(SEGMENTS_PREFIX.length);
    if (!PLAIN_NAME.test(name)) return false;
    const bytes = live.segment(name);
    if (!bytes) return false;
    segmentHeaders.Expires = expires();
    send(req, res, segmentHeaders, bytes);
    metrics?.segment(200, bytes.length);
    return true;
  };
}
