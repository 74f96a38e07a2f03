// The one stateful piece: it owns the window, the bytes of every servable segment and the
// timer that deletes retired segments, and drives the pure window and the media folder.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { StreamerError } from './errors.js';
import { addPart, closeOpenSegment, type PartInput } from './hls/parts.js';
import { renderPlaylist } from './hls/playlist.js';
import {
  addSegment,
  checkSegment,
  createWindow,
  endStream,
  expired,
  lastSequence,
  nextDeletion,
  partName,
  type AddResult,
  type Segment,
  type SegmentInput,
  type WindowState,
} from './hls/window.js';
import type { MediaDir } from './storage/media-dir.js';
import { readTsBody } from './storage/part-body.js';
import { recoverMedia } from './storage/recover.js';
import type { StateFile } from './storage/state-file.js';

export interface LiveStreamOptions {
  readonly windowSize: number;
  readonly targetDuration?: number | undefined;
  readonly media: MediaDir;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Where the window is saved on every change and restored from by `restore()`; none keeps it in memory only. */
  readonly stateFile?: StateFile | undefined;
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
  /** Brings back the window saved in the media folder (once, before serving); deletes orphan segment files. */
  restore(): Promise<void>;
  /** Low-Latency HLS: keeps a part in memory and lists it; a segment it closes is assembled from its parts. */
  publishPart(input: PartInput, body: Readable, declaredLength?: number): Promise<{ sequence: number; index: number; closed: Segment[] }>;
  /**
   * Random per instance (so per streamer run), in every part URL the playlist gives
   * (`parts/<epoch>.<msn>.<index>.ts`): parts are memory-only, so after a restart or a wiped
   * media folder the same sequence and index are other bytes, under another URL.
   */
  readonly partEpoch: string;
  /** The bytes of a listed or retiring part (of this run: the caller checks the epoch). */
  part(sequence: number, index: number): Buffer | undefined;
  /** Resolves true once `ready(state)` holds, false after `timeoutMs` or on abort; woken by changes, never polled. */
  waitFor(ready: (state: WindowState) => boolean, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Requests held by `waitFor` right now. */
  waiting(): number;
  /** Stops timers and held requests; resolves once the window state is on disk. */
  close(): Promise<void>;
}

export function createLiveStream(options: LiveStreamOptions): LiveStream {
  const { media, logger } = options;
  const now = options.now ?? Date.now;
  let state = createWindow({ size: options.windowSize, targetDuration: options.targetDuration });
  const partEpoch = randomBytes(4).toString('hex');
  const bytes = new Map<string, Buffer>();
  // Parts by `partName(sequence, index)`: memory only, they live seconds.
  const partBytes = new Map<string, Buffer>();
  const waiters = new Set<{ check(state: WindowState): void; cancel(): void }>();
  // Names being received right now: a second upload of the same name must not race the first.
  const pending = new Set<string>();
  let rendered: RenderedPlaylist | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let restored = false;

  // Saved after every change; a publish is acknowledged only once its window is on disk, so a
  // segment the publisher has let go of survives a crash of the streamer.
  function persist(): Promise<void> {
    // After close the last save is close()'s own: nothing may write into the folder after that.
    if (closed) return Promise.resolve();
    return (options.stateFile?.save(state) ?? Promise.resolve()).catch((error: unknown) =>
      logger.error({ err: error }, 'could not save the window state: a restart would lose the window'),
    );
  }

  function sweep(): void {
    timer = undefined;
    const result = expired(state, now());
    state = result.state;
    if (result.deletable.length > 0) void persist();
    for (const gone of result.deletable) {
      if (gone.part) {
        partBytes.delete(gone.name);
        continue;
      }
      bytes.delete(gone.name);
      media.remove(gone.name).then(
        () => logger.debug({ file: gone.name, sequence: gone.sequence }, 'retired segment deleted'),
        (error: unknown) => logger.warn({ err: error, file: gone.name }, 'could not delete a retired segment'),
      );
    }
    schedule();
  }

  function notify(): void {
    for (const waiter of [...waiters]) waiter.check(state);
  }

  // A segment closed from parts: its bytes are its parts' bytes, concatenated (same muxer, no re-encode).
  function assemble(result: AddResult): Promise<void> {
    const { segment } = result;
    const data = Buffer.concat(
      Array.from({ length: result.segment.parts?.length ?? 0 }, (_, i) => partBytes.get(partName(segment.sequence, i)) ?? Buffer.alloc(0)),
    );
    bytes.set(segment.name, data);
    return media.receive(segment.name, Readable.from([data]), data.length).then(
      () =>
        logger.info(
          {
            file: segment.name,
            sequence: segment.sequence,
            duration: segment.duration,
            parts: segment.parts?.length,
            bytes: data.length,
            discontinuity: segment.discontinuity,
          },
          'segment assembled from parts',
        ),
      (error: unknown) => logger.error({ err: error, file: segment.name }, 'could not write a segment assembled from parts'),
    );
  }

  function closeOpen(): void {
    const result = closeOpenSegment(state, now());
    if (!result) return;
    state = result.state;
    void assemble(result);
  }

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    const at = nextDeletion(state);
    timer = at === undefined ? undefined : setTimeout(sweep, Math.max(0, at - now()));
  }

  return {
    partEpoch,

    async publish(input, body, declaredLength) {
      if (pending.has(input.name)) {
        throw new StreamerError('SEGMENT_EXISTS', `Segment \`${input.name}\` is being published by another request.`, { name: input.name });
      }
      checkSegment(state, input);
      pending.add(input.name);
      try {
        const received = await media.receive(input.name, body, declaredLength);
        const data = received ?? (await media.adopt(input.name));
        let result: ReturnType<typeof addSegment>;
        try {
          // A whole segment after parts: the parts that came form a segment first.
          closeOpen();
          // Checked again: the window may have moved on while the body streamed in.
          result = addSegment(state, input, now());
        } catch (error) {
          if (received) await media.remove(input.name);
          throw error;
        }
        state = result.state;
        bytes.set(input.name, data);
        schedule();
        notify();
        await persist();
        logger.info(
          {
            file: input.name,
            sequence: result.segment.sequence,
            duration: input.duration,
            session: input.sessionId,
            bytes: data.length,
            discontinuity: result.segment.discontinuity,
          },
          'segment published',
        );
        return result.segment;
      } finally {
        pending.delete(input.name);
      }
    },

    end() {
      if (!state.ended) logger.info({ sequence: lastSequence(state) }, 'stream ended');
      closeOpen();
      state = endStream(state);
      schedule();
      notify();
      void persist();
      return { sequence: lastSequence(state), ended: true };
    },

    playlist() {
      // Rendered and compressed once per change of the window, not once per request.
      if (rendered?.version !== state.version) {
        const text = renderPlaylist(state, { partEpoch });
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

    async restore() {
      if (restored || !options.stateFile) return;
      restored = true;
      const recovered = await recoverMedia({ media, stateFile: options.stateFile, config: state.config, logger, now: now() });
      if (!recovered.state) return;
      state = recovered.state;
      for (const [name, data] of recovered.bytes) bytes.set(name, data);
      schedule();
    },

    async publishPart(input, body, declaredLength) {
      // Refused before the body is read, so a bad part costs nothing.
      addPart(state, input, now());
      const data = await readTsBody(body, declaredLength);
      const result = addPart(state, input, now());
      partBytes.set(partName(result.sequence, result.index), data);
      state = result.state;
      const written = result.closed.map(assemble);
      schedule();
      notify();
      // As for a whole segment, the part that completes one is acknowledged once it is on disk.
      if (written.length > 0) {
        await Promise.all(written);
        await persist();
      }
      logger.debug({ segment: input.segment, part: input.index, sequence: result.sequence, bytes: data.length }, 'part published');
      return { sequence: result.sequence, index: result.index, closed: result.closed.map((r) => r.segment) };
    },

    part(sequence, index) {
      return partBytes.get(partName(sequence, index));
    },

    waitFor(ready, timeoutMs, signal) {
      if (ready(state)) return Promise.resolve(true);
      if (closed || signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const finish = (value: boolean) => {
          clearTimeout(timeout);
          waiters.delete(waiter);
          signal?.removeEventListener('abort', abort);
          resolve(value);
        };
        const waiter = { check: (current: WindowState) => ready(current) && finish(true), cancel: () => finish(false) };
        const abort = () => finish(false);
        const timeout = setTimeout(abort, timeoutMs);
        waiters.add(waiter);
        signal?.addEventListener('abort', abort, { once: true });
      });
    },

    waiting() {
      return waiters.size;
    },

    close() {
      closed = true;
      // Held requests answer at once (not ready) rather than keep the server from closing.
      for (const waiter of [...waiters]) waiter.cancel();
      if (timer) clearTimeout(timer);
      timer = undefined;
      // Resolves once every write already queued, and the final state, are on disk; a stream
      // that never served (no restore) has nothing to save and must not create the folder.
      if (!restored) return Promise.resolve();
      return (options.stateFile?.save(state) ?? Promise.resolve()).catch((error: unknown) =>
        logger.error({ err: error }, 'could not save the window state at close'),
      );
    },
  };
}
