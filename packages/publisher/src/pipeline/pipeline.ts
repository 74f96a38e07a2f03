// What the publisher's lifecycle shell (publisher.ts) needs of a pipeline, whichever its mode:
// piped.ts (capture -> frame stage -> encoder) or direct.ts (one ffmpeg). Also what both modes
// share: naming each encoder run, reading its segment list, and the startup race.
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { DeviceNotFoundError, lastLine } from '../errors.js';
import type { FfmpegProcess } from '../ffmpeg/process.js';
import type { ResolvedOptions, Source } from '../options.js';
import type { VideoFeed } from '../webrtc/video-feed.js';
import { createSegmenter, type CaptureClock, type Segment } from './segmenter.js';

export interface Pipeline {
  readonly mode: 'piped' | 'direct';
  /** Resolves once video flows (piped: the first frame is captured; direct: the first segment or
   * part is listed); rejects if it cannot start (DeviceNotFoundError for a camera that is not there). */
  start(): Promise<void>;
  /** Graceful: capture ends first, then the encoder flushes and lists its last, partial segment. */
  stop(): Promise<void>;
  /** SIGKILL whatever still runs; resolves once it has exited. Safe at any point. */
  kill(): Promise<void>;
  /** Pids of the ffmpeg children now running (piped: capture, then encoder). */
  pids(): number[];
  /** Frames captured (piped) or encoded (direct) so far. */
  frames(): number;
}

/** A finished segment or part, with the session of the encoder run that made it. */
export interface PipelineSegment extends Segment {
  /** Set for a restarted encoder (a new session, `<id>r<n>`); undefined for the first run. */
  session?: string | undefined;
}

export interface PipelineContext {
  ffmpegPath: string;
  source: Source;
  options: ResolvedOptions;
  /** The private folder the encoder writes its segments into. */
  folder: string;
  sessionId: string;
  logger: Logger;
  /** Every segment (or part) the encoder lists, in order. */
  onSegment(segment: PipelineSegment): void;
  /** The pipeline cannot go on (its encoder failed too often); the publisher reports it. */
  onFatal(error: Error): void;
  /** WebRTC playback: each encoder run also writes its H.264 to fd 3, which this feed reads. */
  video?: VideoFeed | undefined;
}

/**
 * Run 0 publishes as the session itself; run n (an encoder restarted after it died) starts its
 * timestamps again at 0, so it is a new session `<id>r<n>` and the streamer marks a discontinuity.
 */
export function runSession(sessionId: string, run: number): string {
  return run === 0 ? sessionId : `${sessionId}r${run}`;
}

/** With parts the encoder's files are parts (`-p` names); segments are named by the segmenter. */
export function segmentPattern(folder: string, prefix: string, partSeconds: number | undefined): string {
  return join(folder, `${prefix}-${partSeconds === undefined ? '%05d' : 'p%06d'}.ts`);
}

export function partsPerSegment(options: Pick<ResolvedOptions, 'partSeconds' | 'segmentSeconds'>): number {
  return options.partSeconds === undefined ? 1 : Math.round(options.segmentSeconds / options.partSeconds);
}

/** Reads one encoder run's csv segment list into segments; resolves when the list closes. */
export function readSegmentList(proc: FfmpegProcess, ctx: PipelineContext, clock: CaptureClock, run: number, seen?: (segment: Segment) => void): Promise<void> {
  const { options, logger } = ctx;
  const prefix = runSession(ctx.sessionId, run);
  const parts =
    options.partSeconds === undefined
      ? undefined
      : {
          perSegment: partsPerSegment(options),
          seconds: options.partSeconds,
          segmentSeconds: options.segmentSeconds,
          namePrefix: prefix,
        };
  const segmenter = createSegmenter({ dir: ctx.folder, fps: options.fps, clock, parts });
  const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
  lines.on('line', (line) => {
    const found = segmenter.line(line);
    if (!found) return logger.warn({ line }, 'unexpected segment list line');
    seen?.(found);
    logger.debug({ segment: found.name, duration: found.duration }, 'segment finished');
    ctx.onSegment(run === 0 ? found : { ...found, session: prefix });
  });
  return once(lines, 'close').then(() => undefined);
}

/**
 * The startup race of every mode: the first output wins, or the first watched process to exit
 * fails the start. A device source whose capturing process dies first is a missing camera.
 */
export async function firstOutput(
  output: Promise<unknown>,
  watched: ReadonlyArray<{ proc: FfmpegProcess; opensSource: boolean }>,
  source: Source,
): Promise<void> {
  const early = await Promise.race([
    output.then(() => undefined),
    ...watched.map(({ proc, opensSource }) => proc.exited.then((info) => ({ proc, opensSource, info }))),
  ]);
  if (!early) return;
  const error = early.proc.exitError(early.info);
  throw source.kind === 'device' && early.opensSource ? new DeviceNotFoundError(source.device, lastLine(error.stderrTail)) : error;
}
