// createPublisher: the lifecycle shell around one pipeline (pipeline/piped.ts when the frame stage
// needs the raw frames, pipeline/direct.ts when it does not): the uploader, the private temp
// folder, events and status, and the start/stop order that loses no video.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { resolveSource } from './ffmpeg/devices.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { resolveOptions, type PublisherOptions, type ResolvedOptions } from './options.js';
import { createDirectPipeline } from './pipeline/direct.js';
import { createPipedPipeline } from './pipeline/piped.js';
import { partsPerSegment, type Pipeline, type PipelineContext } from './pipeline/pipeline.js';
import type { Segment } from './pipeline/segmenter.js';
import { createIdentityStage, needsFrames, type FrameStage } from './pipeline/stage.js';
import { createUploader, type Uploader } from './upload/uploader.js';
import type { VideoFeed } from './webrtc/video-feed.js';

export interface PublisherStatus {
  state: 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
  sessionId: string;
  /** Frames per second reaching the encoder, over the last second. */
  fps: number;
  frames: number;
  segments: number;
  sent: number;
  queued: number;
  dropped: number;
  rejected: number;
  lastUploadAt: number | undefined;
  lastError: string | undefined;
}

export interface CreatePublisherOptions extends PublisherOptions {
  logger?: Logger;
  /**
   * The frame stage; default identity. It also picks the pipeline: a stage that needs frames
   * (`needsFrames`, default true) gets the piped one; one that does not (identity, detection
   * and preview off) gets the direct one, where one ffmpeg captures, encodes and segments.
   */
  stage?: FrameStage;
  /** Bound on waiting for the queue to drain and the end request at stop. Default 8000 ms. */
  endTimeoutMs?: number;
  /** WebRTC playback: the encoder also writes its H.264 (Constrained Baseline) for this feed to send. Default none. */
  video?: VideoFeed | undefined;
  /** Whether `stop()` ends the stream (`POST /publish/end`). False pauses it: capture on demand stops
   * this way, and its next session continues the stream after a discontinuity. Default true. */
  endOnStop?: boolean;
}

export interface Publisher {
  readonly sessionId: string;
  /** Resolves once the first frame has been captured (direct: once the first segment or part is
   * listed, as no frame passes through Node); rejects if capture cannot start. */
  start(): Promise<void>;
  /** Stops capture, publishes the last segment, ends the stream; never rejects. */
  stop(): Promise<void>;
  status(): PublisherStatus;
  /** Pids of the ffmpeg children now running. */
  pids(): number[];
  /** `status` every second, `segment` per finished segment, `uploaded` per segment the streamer
   * accepted, `error` when publishing cannot go on (a refused token, an encoder that keeps dying). */
  on(event: 'status', listener: (status: PublisherStatus) => void): this;
  on(event: 'uploaded', listener: (upload: { name: string; ms: number }) => void): this;
  on(event: 'segment', listener: (segment: Segment) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  off(event: string, listener: (...args: never[]) => void): this;
}

export function createPublisher(options: CreatePublisherOptions = {}): Publisher {
  const opts: ResolvedOptions = resolveOptions(options);
  const logger = options.logger ?? pino({ level: 'silent' });
  const stage = options.stage ?? createIdentityStage();
  const events = new EventEmitter();
  // Unique per run and safe as both a session id and a file-name prefix (PROTOCOL.md).
  const sessionId = `p${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let state: PublisherStatus['state'] = 'idle';
  let pipeline: Pipeline | undefined;
  let uploader: Uploader | undefined;
  let dir: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let segments = 0;
  let fps = 0;
  let lastCount = 0;
  let lastTick = 0;
  let failed = false;
  let stopping: Promise<void> | undefined;
  let starting: Promise<void> | undefined;

  const fail = (error: Error) => {
    if (failed || state === 'stopping' || state === 'stopped') return;
    failed = true;
    if (events.listenerCount('error')) events.emit('error', error);
    else logger.error({ err: error }, 'publisher failed');
  };

  const frameCount = () => pipeline?.frames() ?? 0;

  const status = (): PublisherStatus => {
    const up = uploader?.stats();
    return {
      state,
      sessionId,
      fps,
      frames: frameCount(),
      segments,
      sent: up?.sent ?? 0,
      queued: up?.queued ?? 0,
      dropped: up?.dropped ?? 0,
      rejected: up?.rejected ?? 0,
      lastUploadAt: up?.lastUploadAt,
      lastError: up?.lastError,
    };
  };

  const start = async (): Promise<void> => {
    if (state !== 'idle') throw new Error('a stopped publisher cannot start again; create a new one');
    state = 'starting';
    try {
      const ffmpegPath = opts.ffmpegPath ?? (await locateFfmpeg());
      const source = await resolveSource(opts.source, { ffmpegPath, platform: opts.platform });
      dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'hls-publish-'));
      await stage.start({ width: opts.width, height: opts.height, fps: opts.fps });
      const up = createUploader({
        streamer: opts.streamer,
        stream: opts.stream,
        token: opts.token,
        sessionId,
        targetDuration: Math.ceil(opts.segmentSeconds),
        // --queue counts segments; with parts each segment is several queue items.
        queueLimit: opts.queue * partsPerSegment(opts),
        retryMinMs: opts.retryMinMs,
        retryMaxMs: opts.retryMaxMs,
        requestTimeoutMs: opts.uploadTimeoutMs,
        logger,
        onFatal: fail,
        onSent: (item, ms) => events.emit('uploaded', { name: item.name, ms }),
      });
      uploader = up;
      const context: PipelineContext = {
        ffmpegPath,
        source,
        options: opts,
        folder: dir,
        sessionId,
        logger,
        onFatal: fail,
        video: options.video,
        onSegment: (segment) => {
          segments++;
          events.emit('segment', segment);
          up.enqueue(segment);
        },
      };
      // A WHIP source's capture reads the session's stream from Node, so it is always piped.
      pipeline = needsFrames(stage) || source.kind === 'whip' ? createPipedPipeline(context, stage) : createDirectPipeline(context);
      await pipeline.start();
      state = 'running';
      lastTick = Date.now();
      timer = setInterval(() => {
        // Measured over the real interval: timers drift, and a whole-second count flickers.
        const count = frameCount();
        const now = Date.now();
        fps = Math.round(((count - lastCount) * 10_000) / Math.max(1, now - lastTick)) / 10;
        lastCount = count;
        lastTick = now;
        events.emit('status', status());
      }, 1000);
      timer.unref();
      logger.info(
        {
          sessionId,
          source: source.kind,
          pipeline: pipeline.mode,
          size: `${opts.width}x${opts.height}`,
          fps: opts.fps,
          streamer: opts.streamer,
          stream: opts.stream,
        },
        'publishing',
      );
    } catch (error) {
      await teardown();
      state = 'stopped';
      throw error;
    }
  };

  // Kills whatever is left and removes the private folder; safe to call at any point.
  const teardown = async () => {
    clearInterval(timer);
    await pipeline?.kill();
    await uploader?.stop();
    await stage.stop().catch((error: unknown) => logger.warn({ err: error }, 'frame stage did not stop cleanly'));
    if (dir) await rm(dir, { recursive: true, force: true });
  };

  const graceful = async () => {
    state = 'stopping';
    clearInterval(timer);
    // The pipeline lists its last, partial segment before the uploader drains and ends the stream.
    await pipeline?.stop();
    await uploader?.end(options.endTimeoutMs ?? 8000, options.endOnStop ?? true);
    await teardown();
    state = 'stopped';
    logger.info({ sent: uploader?.stats().sent, dropped: uploader?.stats().dropped }, 'stopped');
  };

  const publisher: Publisher = {
    sessionId,
    start() {
      starting ??= start();
      return starting;
    },
    stop() {
      if (state === 'idle') state = 'stopped';
      // A stop during start waits for start to settle, then takes down whatever it built.
      stopping ??= (starting ?? Promise.resolve())
        .catch(() => {})
        .then(() =>
          state === 'stopped'
            ? undefined
            : graceful().catch((error: unknown) => {
                logger.error({ err: error }, 'stop failed');
                return teardown();
              }),
        );
      return stopping;
    },
    status,
    pids: () => pipeline?.pids() ?? [],
    on(event: string, listener: (...args: never[]) => void) {
      events.on(event, listener as (...args: unknown[]) => void);
      return publisher;
    },
    off(event, listener) {
      events.off(event, listener as (...args: unknown[]) => void);
      return publisher;
    },
  };
  return publisher;
}
