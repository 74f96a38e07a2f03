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
import { isStreamName, LIVE_PREFIX } from '@hls-live/protocol';
import type { StreamerMetrics } from '../metrics.js';
import type { NamedStream } from '../streams/named-stream.js';
import type { StreamRegistry } from '../streams/registry.js';
import { viewerKey } from './metrics.js';
import { parsePart } from './part-route.js';
import { PLAYLIST_PATH } from './playlist-route.js';
import { createExpires, identityBody } from './response-cache.js';
import { type HeaderOptions, partHeaders, playlistHeaders, type ResponseHeaders, SEGMENT_MAX_AGE_SECONDS, segmentHeaders } from './response-headers.js';
import { createViewerCheck, streamCookieName, type ViewerCheck } from './viewer-auth.js';

export interface FastPathOptions {
  /** `default` answers the original paths, the others `/live/<name>/...`. */
  readonly streams: Pick<StreamRegistry, 'default' | 'get'>;
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

/** The last headers made by `build`, made again only when `key` changes (the Expires second). */
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
  const { metrics } = options;
  const headers: HeaderOptions = { corsOrigin: options.corsOrigin };
  const expires = createExpires(SEGMENT_MAX_AGE_SECONDS, options.now);
  const playlistIdentity = playlistHeaders(headers, false);
  const playlistGzip = playlistHeaders(headers, true);
  const segment = memo((date: string) => segmentHeaders(headers, date));
  const part = partHeaders(headers);
  // A stream with its own viewer token (--config) is read with it (its own cookie) or with the global one.
  const global = options.viewerToken === undefined ? undefined : createViewerCheck(options.viewerToken);
  const own = new Map<NamedStream, { token: string; check: ViewerCheck }>();
  const viewerOf = (stream: NamedStream) => {
    if (stream.viewerToken === undefined) return global && [global];
    let entry = own.get(stream);
    if (entry?.token !== stream.viewerToken) {
      entry = { token: stream.viewerToken, check: createViewerCheck(stream.viewerToken, streamCookieName(stream.name)) };
      own.set(stream, entry);
    }
    return global ? [entry.check, global] : [entry.check];
  };

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
    let url = req.url ?? '';
    let stream: NamedStream | undefined = options.streams.default;
    // `/live/<name>/stream.m3u8` is `<name>`'s `/stream.m3u8`; an unknown or bad name is Koa's (404, 400).
    if (url.startsWith(LIVE_PREFIX)) {
      const slash = url.indexOf('/', LIVE_PREFIX.length);
      const name = slash === -1 ? '' : url.slice(LIVE_PREFIX.length, slash);
      stream = isStreamName(name) ? options.streams.get(name) : undefined;
      if (!stream) return false;
      url = url.slice(slash);
    }
    const { live } = stream;
    const playlistPath = url === PLAYLIST_PATH;
    if (!playlistPath && !url.startsWith(SEGMENTS_PREFIX) && !url.startsWith(PARTS_PREFIX)) return false;
    // Without the token Koa answers (401, or the cookie set from `?token=`).
    const viewers = viewerOf(stream);
    if (viewers && !viewers.some((viewer) => viewer.check({ cookie: req.headers.cookie, authorization: req.headers.authorization }))) return false;
    stream.watch.touch();
    if (playlistPath) {
      const gzip = wantsGzip(req.headers['accept-encoding']);
      if (gzip === undefined) return false;
      // A stream starting on demand holds its first playlist request: Koa's route does.
      if (stream.waking() !== undefined) return false;
      const playlist = live.playlist();
      send(req, res, gzip ? playlistGzip : playlistIdentity, gzip ? playlist.gzip : identityBody(playlist));
      if (metrics) {
        metrics.playlist(200, stream.name);
        metrics.viewer(viewerKey(req.socket.remoteAddress, req.headers['user-agent']), stream.name);
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
      metrics?.segment(200, bytes.length, stream.name);
      return true;
    }
    if (url.startsWith(PARTS_PREFIX)) {
      // A part not there yet may be the hinted one, which Koa holds until it arrives.
      const named = parsePart(live, url.slice(PARTS_PREFIX.length));
      const bytes = named ? live.part(named.sequence, named.index) : undefined;
      if (!bytes) return false;
      send(req, res, part, bytes);
      return true;
    }
    return false;
  };
}
