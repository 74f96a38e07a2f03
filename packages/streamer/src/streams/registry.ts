// The streams of one streamer, by name. `default` always exists and keeps the media folder's
// original layout (its segments and window-state.json at the root of --media-dir, where a
// streamer upgraded in place finds them); every other stream has its own folder
// `<media-dir>/streams/<name>/`, restored at start like the default one. A new name past
// `maxStreams` is refused (503 TOO_MANY_STREAMS); a stream that has ended (or never published)
// and has had no publisher, publish or viewer for the retention time is forgotten, its folder deleted.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_STREAM, isStreamName, parseStreamName } from '@hls-live/protocol';
import type { Logger } from 'pino';
import { StreamerError } from '../errors.js';
import { createAuthorizer, type Authorize } from '../http/auth.js';
import { createNamedStream, type NamedStream } from './named-stream.js';

/** Sub-folder of --media-dir holding one folder per named stream (not `default`). */
export const STREAMS_FOLDER = 'streams';

export interface StreamTokens {
  readonly publishToken?: string | undefined;
  readonly viewerToken?: string | undefined;
}

export interface StreamRegistryOptions {
  readonly mediaDir: string;
  readonly window: number;
  readonly targetDuration: number | undefined;
  readonly maxSegmentBytes: number;
  readonly mjpegIdleSeconds: number;
  /** Streams held at once, `default` included. */
  readonly maxStreams: number;
  /** An ended (or empty) stream with no publisher and no viewer is forgotten after this long. */
  readonly retentionSeconds: number;
  /** The global tokens, and per-stream ones from the config file (accepted beside the global ones for that stream). */
  readonly publishToken: string | undefined;
  readonly viewerToken: string | undefined;
  readonly streamTokens?: ReadonlyMap<string, StreamTokens> | undefined;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Called once per stream created (restored or new). */
  readonly onCreate?: (stream: NamedStream) => void;
  /** Called once a stream is forgotten (e.g. to drop its metrics, so names do not pile up). */
  readonly onForget?: (name: string) => void;
}

export interface StreamRegistry {
  readonly default: NamedStream;
  get(name: string): NamedStream | undefined;
  /** Checks a publish request's Authorization header for stream `name` (its own token from the config file, else the global one). */
  authorize(name: string, header: string | undefined): void;
  /** The stream `name`, created (and restored from its folder) when new; throws INVALID_STREAM_NAME or TOO_MANY_STREAMS. */
  open(name: string): Promise<NamedStream>;
  list(): NamedStream[];
  /** At start: restores `default` and every stream folder found under `<media-dir>/streams/`. */
  restore(): Promise<void>;
  /** Forgets the streams past their retention now (also run on a timer). */
  sweep(): Promise<string[]>;
  close(): Promise<void>;
}

export function streamDir(mediaDir: string, name: string): string {
  return name === DEFAULT_STREAM ? mediaDir : join(mediaDir, STREAMS_FOLDER, name);
}

export function createStreamRegistry(options: StreamRegistryOptions): StreamRegistry {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const streams = new Map<string, NamedStream>();
  const opening = new Map<string, Promise<NamedStream>>();
  const retentionMs = options.retentionSeconds * 1000;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const globalAuthorize = createAuthorizer(options.publishToken);
  const ownAuthorize = new Map<string, Authorize>();
  for (const [name, tokens] of options.streamTokens ?? []) if (tokens.publishToken !== undefined) ownAuthorize.set(name, createAuthorizer(tokens.publishToken));
  // The global token covers every stream; a stream's own token covers it too (and alone, on an open streamer).
  const authorize = (name: string, header: string | undefined) => {
    const own = ownAuthorize.get(name);
    if (!own) return globalAuthorize(header);
    try {
      own(header);
    } catch (error) {
      if (options.publishToken === undefined) throw error;
      globalAuthorize(header);
    }
  };

  const make = (name: string): NamedStream => {
    const tokens = options.streamTokens?.get(name);
    const stream = createNamedStream({
      name,
      dir: streamDir(options.mediaDir, name),
      window: options.window,
      targetDuration: options.targetDuration,
      maxSegmentBytes: options.maxSegmentBytes,
      mjpegIdleMs: options.mjpegIdleSeconds * 1000,
      // Players reload the playlist every target duration at most: a few of them without one is a viewer gone.
      watchQuietMs: 6000,
      viewerToken: tokens?.viewerToken,
      logger,
      now,
    });
    streams.set(name, stream);
    options.onCreate?.(stream);
    return stream;
  };

  const defaultStream = make(DEFAULT_STREAM);

  const create = async (name: string, restoring: boolean): Promise<NamedStream> => {
    if (!restoring && streams.size >= options.maxStreams) {
      throw new StreamerError('TOO_MANY_STREAMS', `This streamer already holds ${options.maxStreams} streams (--max-streams); \`${name}\` was refused.`, {
        stream: name,
        maxStreams: options.maxStreams,
      });
    }
    const stream = make(name);
    try {
      await stream.restore();
    } catch (error) {
      streams.delete(name);
      await stream.close().catch(() => {});
      throw error;
    }
    if (!restoring) logger.info({ stream: name, streams: streams.size }, 'new stream');
    return stream;
  };

  const forgettable = (stream: NamedStream, t: number) => {
    if (stream.name === DEFAULT_STREAM || stream.publisherConnected() || stream.watch.watched()) return false;
    const state = stream.live.state();
    if (!state.ended && state.segments.length > 0) return false;
    return t - stream.lastActivity() >= retentionMs;
  };

  const forget = async (stream: NamedStream) => {
    streams.delete(stream.name);
    await stream.close();
    await rm(stream.dir, { recursive: true, force: true });
    options.onForget?.(stream.name);
    logger.info({ stream: stream.name }, 'ended stream forgotten: no publisher or viewer within the retention time; its files are deleted');
  };

  const sweep = async (): Promise<string[]> => {
    const t = now();
    const gone = [...streams.values()].filter((stream) => forgettable(stream, t));
    await Promise.all(gone.map(forget));
    return gone.map((stream) => stream.name);
  };

  const arm = () => {
    if (closed) return;
    timer = setTimeout(
      () => {
        sweep()
          .catch((error: unknown) => logger.error({ err: error }, 'could not forget an ended stream'))
          .finally(arm);
      },
      Math.min(5000, Math.max(250, retentionMs / 4)),
    );
    timer.unref();
  };

  return {
    default: defaultStream,
    get: (name) => streams.get(name),
    authorize,
    open(name) {
      const existing = streams.get(name);
      if (existing) return Promise.resolve(existing);
      parseStreamName(name);
      if (closed) return Promise.reject(new StreamerError('TOO_MANY_STREAMS', 'The streamer is shutting down.'));
      let pending = opening.get(name);
      if (!pending) {
        pending = create(name, false).finally(() => opening.delete(name));
        opening.set(name, pending);
      }
      return pending;
    },
    list: () => [...streams.values()],
    async restore() {
      await defaultStream.restore();
      const folder = join(options.mediaDir, STREAMS_FOLDER);
      const names = await readdir(folder, { withFileTypes: true }).then(
        (entries) => entries.filter((entry) => entry.isDirectory() && isStreamName(entry.name) && entry.name !== DEFAULT_STREAM).map((entry) => entry.name),
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return [];
          throw error;
        },
      );
      for (const name of names.sort()) if (!streams.has(name)) await create(name, true);
      if (streams.size > options.maxStreams)
        logger.warn(
          { streams: streams.size, maxStreams: options.maxStreams },
          'more streams restored than --max-streams: no new stream is accepted until some are forgotten',
        );
      if (names.length > 0) logger.info({ streams: names }, 'named streams restored from the media folder');
      arm();
    },
    sweep,
    async close() {
      closed = true;
      clearTimeout(timer);
      await Promise.all([...opening.values()].map((p) => p.catch(() => {})));
      await Promise.all([...streams.values()].map((stream) => stream.close()));
    },
  };
}
