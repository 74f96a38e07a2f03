// The one stateful piece: it owns the window, the bytes of every servable segment and the
// timer that deletes retired segments, and drives the pure window and the media folder.
import { gzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { StreamerError } from './errors.js';
import { renderPlaylist } from './hls/playlist.js';
import {
  addSegment,
  checkSegment,
  createWindow,
  endStream,
  expired,
  lastSequence,
  nextDeletion,
  type Segment,
  type SegmentInput,
  type WindowState,
} from './hls/window.js';
import type { MediaDir } from './storage/media-dir.js';

export interface LiveStreamOptions {
  readonly windowSize: number;
  readonly targetDuration?: number | undefined;
  readonly media: MediaDir;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface RenderedPlaylist {
  readonly version: number;
  readonly text: string;
  readonly gzip: Buffer;
}

export interface Health {
  readonly status: 'ok';
  readonly live: boolean;
  readonly segments: number;
  readonly mediaSequence: number;
}

export interface LiveStream {
  /** Stores and lists a segment; nothing changes unless it resolves. */
  publish(input: SegmentInput, body: Readable, declaredLength?: number): Promise<Segment>;
  end(): { sequence: number | null; ended: true };
  playlist(): RenderedPlaylist;
  /** The bytes of a listed or retiring segment. */
  segment(name: string): Buffer | undefined;
  health(): Health;
  state(): WindowState;
  close(): void;
}

export function createLiveStream(options: LiveStreamOptions): LiveStream {
  const { media, logger } = options;
  const now = options.now ?? Date.now;
  let state = createWindow({ size: options.windowSize, targetDuration: options.targetDuration });
  const bytes = new Map<string, Buffer>();
  // Names being received right now: a second upload of the same name must not race the first.
  const pending = new Set<string>();
  let rendered: RenderedPlaylist | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  function sweep(): void {
    timer = undefined;
    const result = expired(state, now());
    state = result.state;
    for (const gone of result.deletable) {
      bytes.delete(gone.name);
      media.remove(gone.name).then(
        () => logger.debug({ file: gone.name, sequence: gone.sequence }, 'retired segment deleted'),
        (error: unknown) => logger.warn({ err: error, file: gone.name }, 'could not delete a retired segment'),
      );
    }
    schedule();
  }

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    const at = nextDeletion(state);
    timer = at === undefined ? undefined : setTimeout(sweep, Math.max(0, at - now()));
  }

  return {
    async publish(input, body, declaredLength) {
      if (pending.has(input.name)) {
        throw new StreamerError('SEGMENT_EXISTS', `Segment \`${input.name}\` is being published by another request.`, { name: input.name });
      }
      checkSegment(state, input);
      pending.add(input.name);
      try {
        const received = await media.receive(input.name, body, declaredLength);
        const data = received ?? (await media.adopt(input.name));
        let result;
        try {
          // Checked again: the window may have moved on while the body streamed in.
          result = addSegment(state, input, now());
        } catch (error) {
          if (received) await media.remove(input.name);
          throw error;
        }
        state = result.state;
        bytes.set(input.name, data);
        schedule();
        logger.info(
          { file: input.name, sequence: result.segment.sequence, duration: input.duration, session: input.sessionId, bytes: data.length, discontinuity: result.segment.discontinuity },
          'segment published',
        );
        return result.segment;
      } finally {
        pending.delete(input.name);
      }
    },

    end() {
      if (!state.ended) logger.info({ sequence: lastSequence(state) }, 'stream ended');
      state = endStream(state);
      return { sequence: lastSequence(state), ended: true };
    },

    playlist() {
      // Rendered and compressed once per change of the window, not once per request.
      if (rendered?.version !== state.version) {
        const text = renderPlaylist(state);
        rendered = { version: state.version, text, gzip: gzipSync(text) };
      }
      return rendered;
    },

    segment(name) {
      return bytes.get(name);
    },

    health() {
      return { status: 'ok', live: !state.ended && state.segments.length > 0, segments: state.segments.length, mediaSequence: state.mediaSequence };
    },

    state() {
      return state;
    },

    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
