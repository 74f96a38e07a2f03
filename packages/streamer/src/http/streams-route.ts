// GET /streams.json: one entry per stream (name, live or ended, segments, the program date-time of
// its newest segment, viewers, URLs), for the viewer page's grid and for operators. And
// GET /watch/<name>: a link to the viewer page playing that stream (`/?stream=<name>`).
import type Router from '@koa/router';
import { DEFAULT_STREAM, isStreamName, streamPaths } from '@hls-live/protocol';
import { StreamerError } from '../errors.js';
import type { StreamerMetrics } from '../metrics.js';
import type { NamedStream } from '../streams/named-stream.js';
import type { StreamRegistry } from '../streams/registry.js';

export const STREAMS_JSON_PATH = '/streams.json';

export interface StreamEntry {
  readonly name: string;
  /** `live`: listed segments and not ended; `ended`: /publish/end came; `idle`: nothing listed (yet), e.g. a publisher waiting on demand. */
  readonly state: 'live' | 'ended' | 'idle';
  readonly segments: number;
  /** ISO 8601 program date-time of the newest listed segment; null without one. */
  readonly lastProgramDateTime: string | null;
  /** Distinct HLS clients in the last 30 s plus MJPEG viewers. */
  readonly viewers: number;
  /** A publisher holds the live channel (preview, on demand). */
  readonly publisher: boolean;
  readonly onDemand: boolean;
  /** Someone watches it (a request within a few seconds, an MJPEG or WebRTC viewer): an on-demand camera captures. */
  readonly watched: boolean;
  readonly urls: { readonly hls: string; readonly mjpeg: string; readonly snapshot: string; readonly webrtc: string | null; readonly page: string };
}

export function streamEntry(stream: NamedStream, metrics: StreamerMetrics | undefined, webrtc: boolean): StreamEntry {
  const state = stream.live.state();
  const newest = state.segments.at(-1);
  const paths = streamPaths(stream.name);
  return {
    name: stream.name,
    state: state.ended ? 'ended' : state.segments.length > 0 ? 'live' : 'idle',
    segments: state.segments.length,
    lastProgramDateTime: newest ? new Date(newest.programDateTime).toISOString() : null,
    viewers: (metrics?.activeViewers(stream.name) ?? 0) + stream.mjpeg.stats().viewers,
    publisher: stream.publisherConnected(),
    onDemand: stream.onDemand,
    watched: stream.watch.watched(),
    urls: {
      hls: paths.playlist,
      mjpeg: paths.mjpeg,
      snapshot: paths.snapshot,
      // `default` keeps its original WHEP URL.
      webrtc: webrtc ? (stream.name === DEFAULT_STREAM ? '/whep' : paths.whep) : null,
      page: `/watch/${stream.name}`,
    },
  };
}

export interface StreamsRouteOptions {
  readonly streams: Pick<StreamRegistry, 'list' | 'get'>;
  readonly metrics?: StreamerMetrics | undefined;
  readonly webrtc: boolean;
}

export function registerStreamsRoute(router: Router, options: StreamsRouteOptions): void {
  router.get(STREAMS_JSON_PATH, (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      streams: options.streams
        .list()
        .map((stream) => streamEntry(stream, options.metrics, options.webrtc))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  });
  router.get('/watch/:stream', (ctx) => {
    const name = ctx.params.stream ?? '';
    if (!isStreamName(name)) throw new StreamerError('INVALID_STREAM_NAME', `No stream can be named \`${name.slice(0, 80)}\`.`, { stream: name.slice(0, 80) });
    const token = typeof ctx.query.token === 'string' ? `&token=${encodeURIComponent(ctx.query.token)}` : '';
    ctx.set('Cache-Control', 'no-store');
    ctx.redirect(`/?stream=${name}${token}`);
  });
}
