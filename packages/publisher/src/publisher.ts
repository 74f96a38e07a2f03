// createPublisher wires capture ffmpeg -> frame splitter -> frame stage -> encoder ffmpeg ->
// segment list -> uploader, and takes it down again in the order that loses no video. With
// `direct`, one ffmpeg captures, encodes and segments (no frame reaches Node).
import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pino, { type Logger } from 'pino';
import { DeviceNotFoundError, lastLine } from './errors.js';
import { captureArgs, directArgs, encoderArgs } from './ffmpeg/args.js';
import { resolveSource } from './ffmpeg/devices.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { spawnFfmpeg, type FfmpegProcess } from './ffmpeg/process.js';
import { resolveOptions, type PublisherOptions, type ResolvedOptions } from './options.js';
import { createFrameSplitter, type FrameSplitter } from './pipeline/frames.js';
import { createCaptureClock, createSegmenter, type CaptureClock, type Segment } from './pipeline/segmenter.js';
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
  /** One ffmpeg captures, encodes and segments; the stage sees no frames. Only for when no stage
   * needs them (detection and the MJPEG preview off): it saves piping raw video through Node. */
  direct?: boolean;
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
      state, sessionId, fps, frames: frameCount(), segments,
      sent: up?.sent ?? 0, queued: up?.queued ?? 0, dropped: up?.dropped ?? 0, rejected: up?.rejected ?? 0,
      lastUploadAt: up?.lastUploadAt, lastError: up?.lastError,
    };
  };

  // With parts, the encoder's files are parts (`-p` names); segments are named by the segmenter.
  const segmentPattern = (folder: string, prefix: string) => join(folder, `${prefix}-${opts.partSeconds === undefined ? '%05d' : 'p%06d'}.ts`);

  /** Reads an encoder's csv segment list into segments for the uploader. */
  const listSegments = (proc: FfmpegProcess, folder: string, clock: CaptureClock, prefix: string, session?: string, seen?: (segment: Segment) => void) => {
    const parts = opts.partSeconds === undefined ? undefined : {
      perSegment: partsPerSegment, seconds: opts.partSeconds, segmentSeconds: opts.segmentSeconds, namePrefix: prefix,
    };
    const segmenter = createSegmenter({ dir: folder, fps: opts.fps, clock, parts });
    const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      const found = segmenter.line(line);
      if (!found) return logger.warn({ line }, 'unexpected segment list line');
      const segment = session === undefined ? found : { ...found, session };
      seen?.(segment);
      segments++;
      logger.debug({ segment: segment.name, duration: segment.duration }, 'segment finished');
      events.emit('segment', segment);
      uploader!.enqueue(segment);
    });
    listDone = once(lines, 'close');
  };

  const startEncoder = (ffmpegPath: string, folder: string, clock: CaptureClock) => {
    const proc = spawnFfmpeg({ path: ffmpegPath, role: 'encoder', stdin: true, args: encoderArgs({ ...opts, segmentPattern: segmentPattern(folder, sessionId) }) });
    listSegments(proc, folder, clock, sessionId);
    return proc;
  };

  /**
   * Direct mode's one ffmpeg. No frame passes through Node, so there are no capture times: a
   * segment's program date-time is the wall clock at the first listed segment (or part) minus its
   * end, plus the segment's start from the list. This is later than the true capture time by the
   * encoder's delay (small with zerolatency) and drifts if the source does not keep its nominal
   * rate. Run 0 uses the session id; restart n (after an unexpected exit) is a new encoder whose
   * timestamps start again at 0, so it publishes as a new session `<id>r<n>`, which makes the
   * streamer mark a discontinuity.
   */
  let directRuns = 0;
  let directFrames = 0;
  let runFrames = 0;
  const startDirect = (ffmpegPath: string, folder: string, source: Parameters<typeof directArgs>[0], firstOutput: () => void) => {
    const run = directRuns++;
    const prefix = run === 0 ? sessionId : `${sessionId}r${run}`;
    let base: number | undefined;
    const clock: CaptureClock = { record() {}, timeOf: (index) => (base === undefined ? undefined : base + (index * 1000) / opts.fps) };
    directFrames += runFrames;
    runFrames = 0;
    const proc = spawnFfmpeg({
      path: ffmpegPath, role: 'ffmpeg', args: directArgs(source, opts.platform, { ...opts, segmentPattern: segmentPattern(folder, prefix) }),
      // Frames encoded so far in this run, from -progress.
      onProgress: (key, value) => key === 'frame' && /^\d+$/.test(value) && (runFrames = Number(value)),
    });
    listSegments(proc, folder, clock, prefix, run === 0 ? undefined : prefix, (segment) => {
      // Without a clock the segmenter dates the first segment "now minus its end"; later ones follow it.
      base ??= segment.programDateTime.getTime() - segment.start * 1000;
      firstOutput();
    });
    return proc;
  };
  const frameCount = () => (options.direct ? directFrames + runFrames : splitter?.count ?? 0);

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

  const startPiped = async (ffmpegPath: string, folder: string, source: Parameters<typeof captureArgs>[0]) => {
    // Enough capture times to cover several segments still inside the encoder.
    const clock = createCaptureClock(Math.max(256, Math.ceil(opts.fps * opts.segmentSeconds * 4)), opts.fps);
    encoder = startEncoder(ffmpegPath, folder, clock);
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
      if (options.direct) {
        let first: () => void = () => {};
        const firstOutput = new Promise<void>((resolve) => (first = resolve));
        encoder = startDirect(ffmpegPath, dir, source, () => first());
        logger.debug({ pid: encoder.pid }, 'direct ffmpeg started');
        const early = await Promise.race([firstOutput.then(() => undefined), encoder.exited]);
        if (early) {
          const error = encoder.exitError(early);
          throw source.kind === 'device' ? new DeviceNotFoundError(source.device, lastLine(error.stderrTail)) : error;
        }
        // Restarted like a capture (the same backoff); each run is a new session (startDirect).
        supervisor = superviseCapture(encoder, {
          logger, minMs: opts.retryMinMs * 2, maxMs: Math.max(opts.retryMaxMs * 4, 1000),
          spawn: () => startDirect(ffmpegPath, dir!, source, () => {}),
          onRestart: (next) => (encoder = next),
        });
      } else {
        await startPiped(ffmpegPath, dir, source);
      }
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
