// createPublisher wires capture ffmpeg -> frame splitter -> frame stage -> encoder ffmpeg ->
// segment list -> uploader, and takes it down again in the order that loses no video.
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino, { type Logger } from 'pino';
import { DeviceNotFoundError, lastLine } from './errors.js';
import { captureArgs, encoderArgs } from './ffmpeg/args.js';
import { resolveSource } from './ffmpeg/devices.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { spawnFfmpeg, type FfmpegProcess } from './ffmpeg/process.js';
import { resolveOptions, type PublisherOptions, type ResolvedOptions } from './options.js';
import { createFrameSplitter, type FrameSplitter } from './pipeline/frames.js';
import { createCaptureClock, createSegmenter, type Segment } from './pipeline/segmenter.js';
import { createIdentityStage, type Frame, type FrameStage } from './pipeline/stage.js';
import { superviseCapture, type CaptureSupervisor } from './pipeline/capture-supervisor.js';
import { createUploader, type Uploader } from './upload/uploader.js';

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
  /** The frame stage; default identity. */
  stage?: FrameStage;
  /** Bound on waiting for the queue to drain and the end request at stop. Default 8000 ms. */
  endTimeoutMs?: number;
}

export interface Publisher {
  readonly sessionId: string;
  /** Resolves once the first frame has been captured; rejects if capture cannot start. */
  start(): Promise<void>;
  /** Stops capture, publishes the last segment, ends the stream; never rejects. */
  stop(): Promise<void>;
  status(): PublisherStatus;
  /** Pids of the ffmpeg children now running. */
  pids(): number[];
  /** `status` every second, `segment` per finished segment, `uploaded` per segment the streamer accepted, `error` when the pipeline breaks. */
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
  const partsPerSegment = opts.partSeconds === undefined ? 1 : Math.round(opts.segmentSeconds / opts.partSeconds);
  // Unique per run and safe as both a session id and a file-name prefix (PROTOCOL.md).
  const sessionId = `p${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let state: PublisherStatus['state'] = 'idle';
  let capture: FfmpegProcess | undefined;
  let encoder: FfmpegProcess | undefined;
  let uploader: Uploader | undefined;
  let splitter: FrameSplitter | undefined;
  let dir: string | undefined;
  let listDone: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let segments = 0;
  let fps = 0;
  let lastCount = 0;
  let lastTick = 0;
  let stageErrors = 0;
  let failed = false;
  let stopping: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  let supervisor: CaptureSupervisor | undefined;

  const fail = (error: Error) => {
    if (failed || state === 'stopping' || state === 'stopped') return;
    failed = true;
    if (events.listenerCount('error')) events.emit('error', error);
    else logger.error({ err: error }, 'publisher failed');
  };

  const status = (): PublisherStatus => {
    const up = uploader?.stats();
    return {
      state, sessionId, fps, frames: splitter?.count ?? 0, segments,
      sent: up?.sent ?? 0, queued: up?.queued ?? 0, dropped: up?.dropped ?? 0, rejected: up?.rejected ?? 0,
      lastUploadAt: up?.lastUploadAt, lastError: up?.lastError,
    };
  };

  const startEncoder = (ffmpegPath: string, folder: string, clock: ReturnType<typeof createCaptureClock>) => {
    const proc = spawnFfmpeg({
      path: ffmpegPath, role: 'encoder', stdin: true,
      // With parts, the encoder's files are parts (`-p` names); segments are named by the segmenter.
      args: encoderArgs({ ...opts, segmentPattern: join(folder, `${sessionId}-${opts.partSeconds === undefined ? '%05d' : 'p%06d'}.ts`) }),
    });
    const parts = opts.partSeconds === undefined ? undefined : {
      perSegment: partsPerSegment, seconds: opts.partSeconds, segmentSeconds: opts.segmentSeconds, namePrefix: sessionId,
    };
    const segmenter = createSegmenter({ dir: folder, fps: opts.fps, clock, parts });
    const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const segment = segmenter.line(line);
      if (!segment) return logger.warn({ line }, 'unexpected segment list line');
      segments++;
      logger.debug({ segment: segment.name, duration: segment.duration }, 'segment finished');
      events.emit('segment', segment);
      uploader!.enqueue(segment);
    });
    listDone = once(lines, 'close');
    return proc;
  };

  const onFrame = (frame: Frame, clock: ReturnType<typeof createCaptureClock>) => {
    clock.record(frame.index, frame.captureTime);
    try {
      stage.process(frame);
    } catch (error) {
      // A broken stage must not stop the video: the frame goes on as it is.
      if (stageErrors++ === 0) logger.error({ err: error, stage: stage.name }, 'frame stage failed; frames pass through');
    }
    const stdin = encoder!.stdin!;
    if (!stdin.write(frame.data, () => splitter!.release(frame))) splitter!.block();
  };

  const start = async (): Promise<void> => {
    if (state !== 'idle') throw new Error('a stopped publisher cannot start again; create a new one');
    state = 'starting';
    try {
      const ffmpegPath = opts.ffmpegPath ?? (await locateFfmpeg());
      const source = await resolveSource(opts.source, { ffmpegPath, platform: opts.platform });
      dir = await mkdtemp(join(opts.tempDir ?? tmpdir(), 'hls-publish-'));
      await stage.start({ width: opts.width, height: opts.height, fps: opts.fps });
      uploader = createUploader({
        streamer: opts.streamer, token: opts.token, sessionId, targetDuration: Math.ceil(opts.segmentSeconds),
        // --queue counts segments; with parts each segment is several queue items.
        queueLimit: opts.queue * partsPerSegment, retryMinMs: opts.retryMinMs, retryMaxMs: opts.retryMaxMs, logger, onFatal: fail,
        onSent: (item, ms) => events.emit('uploaded', { name: item.name, ms }),
      });
      // Enough capture times to cover several segments still inside the encoder.
      const clock = createCaptureClock(Math.max(256, Math.ceil(opts.fps * opts.segmentSeconds * 4)), opts.fps);
      encoder = startEncoder(ffmpegPath, dir, clock);
      const firstFrame = new Promise<void>((resolve) => {
        splitter = createFrameSplitter({ width: opts.width, height: opts.height, onFrame: (frame) => {
          if (frame.index === 0) resolve();
          onFrame(frame, clock);
        } });
      });
      encoder.stdin!.on('drain', () => splitter!.unblock());
      capture = spawnFfmpeg({ path: ffmpegPath, role: 'capture', args: captureArgs(source, opts.platform, opts) });
      capture.stdout.pipe(splitter!.writable());
      logger.debug({ capture: captureArgs(source, opts.platform, opts), pid: capture.pid }, 'capture started');
      const early = await Promise.race([
        firstFrame.then(() => undefined),
        capture.exited.then((info) => ({ proc: capture!, info })),
        encoder.exited.then((info) => ({ proc: encoder!, info })),
      ]);
      if (early) {
        const error = early.proc.exitError(early.info);
        throw source.kind === 'device' && early.proc === capture ? new DeviceNotFoundError(source.device, lastLine(error.stderrTail)) : error;
      }
      // A capture that dies is restarted with backoff (capture-supervisor.ts); the encoder is not.
      supervisor = superviseCapture(capture, {
        logger, minMs: opts.retryMinMs * 2, maxMs: Math.max(opts.retryMaxMs * 4, 1000),
        spawn: () => {
          splitter!.discardPartial();
          const next = spawnFfmpeg({ path: ffmpegPath, role: 'capture', args: captureArgs(source, opts.platform, opts) });
          next.stdout.pipe(splitter!.writable());
          return next;
        },
        onRestart: (next) => (capture = next),
      });
      for (const proc of [encoder]) {
        void proc.exited.then((info) => !proc.stopping && fail(proc.exitError(info)));
      }
      state = 'running';
      lastTick = Date.now();
      timer = setInterval(() => {
        // Measured over the real interval: timers drift, and a whole-second count flickers.
        const count = splitter!.count;
        const now = Date.now();
        fps = Math.round(((count - lastCount) * 10_000) / Math.max(1, now - lastTick)) / 10;
        lastCount = count;
        lastTick = now;
        events.emit('status', status());
      }, 1000);
      timer.unref();
      logger.info({ sessionId, source: source.kind, size: `${opts.width}x${opts.height}`, fps: opts.fps, streamer: opts.streamer }, 'publishing');
    } catch (error) {
      await teardown();
      state = 'stopped';
      throw error;
    }
  };

  // Kills whatever is left and removes the private folder; safe to call at any point.
  const teardown = async () => {
    clearInterval(timer);
    supervisor?.stop();
    capture?.kill();
    encoder?.kill();
    await Promise.all([capture?.exited, encoder?.exited]);
    await uploader?.stop();
    await stage.stop().catch((error: unknown) => logger.warn({ err: error }, 'frame stage did not stop cleanly'));
    if (dir) await rm(dir, { recursive: true, force: true });
  };

  const graceful = async () => {
    state = 'stopping';
    clearInterval(timer);
    supervisor?.stop();
    // Capture first: the frames already in the pipe still reach the encoder.
    await capture?.stop('signal', 2000);
    // Then the encoder: closing stdin makes it flush and list the last, partial segment.
    await encoder?.stop('stdin', 5000);
    await Promise.race([listDone, new Promise((r) => setTimeout(r, 1000).unref())]);
    await uploader?.end(options.endTimeoutMs ?? 8000);
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
      stopping ??= (starting ?? Promise.resolve()).catch(() => {}).then(() =>
        state === 'stopped' ? undefined : graceful().catch((error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          return teardown();
        }),
      );
      return stopping;
    },
    status,
    pids: () => [capture, encoder].flatMap((p) => (p?.pid !== undefined && p.running ? [p.pid] : [])),
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
