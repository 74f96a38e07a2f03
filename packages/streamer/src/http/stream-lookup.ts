// Which stream a viewer request is for: the one named in `/live/<name>/...`, or `default` for the
// original paths (`/stream.m3u8`, `/segments/...`, `/mjpeg`...), which stay exactly as they were.
import { LIVE_PREFIX, parseStreamName } from '@hls-live/protocol';
import type { Context } from 'koa';
import { StreamerError } from '../errors.js';
import type { NamedStream } from '../streams/named-stream.js';
import type { StreamRegistry } from '../streams/registry.js';

/** Finds the stream of a request; throws INVALID_STREAM_NAME (400) or STREAM_NOT_FOUND (404). */
export type PickStream = (ctx: Context) => NamedStream;

/** The router path of a stream's resource `path` (`/stream.m3u8`) under `/live/<name>`. */
export const LIVE_ROUTE = `${LIVE_PREFIX}:stream`;

export function findStream(registry: StreamRegistry, name: string): NamedStream {
  const stream = registry.get(parseStreamName(name));
  if (!stream)
    throw new StreamerError('STREAM_NOT_FOUND', `No stream \`${name}\`: nothing has been published to it, or it ended and was forgotten.`, { stream: name });
  return stream;
}

/** Route prefixes and how each finds its stream: the original paths serve `default`. */
export function streamRoutes(registry: StreamRegistry): ReadonlyArray<{ prefix: string; pick: PickStream }> {
  return [
    { prefix: '', pick: () => registry.default },
    { prefix: LIVE_ROUTE, pick: (ctx) => findStream(registry, String((ctx as Context & { params?: Record<string, string> }).params?.stream ?? '')) },
  ];
}
