// The piped pipeline: capture ffmpeg -> frame splitter -> frame stage (face boxes, preview) ->
// encoder ffmpeg, for when a stage needs the raw frames.
//
// Either ffmpeg may die. A capture is restarted with backoff while the encoder runs on, so the
// stream stays one session with continuous timestamps (the picture jumps). An encoder is
// restarted too, with its own backoff, while capture runs on: the new encoder's timestamps start
// again at 0, so it publishes as a new session (pipeline.ts, runSession) and frames captured
// while none runs are dropped. Only `encoderFailures` deaths within `encoderFailureWindowMs`
// end the pipeline (onFatal).
//
// A WHIP source (ingest.ts) has no capture until a publisher comes: each session gets a capture
// reading the session's stream on stdin and a new encoder run (a new session `<id>r<n>`, so the
// playlist marks a discontinuity between publishers); when the publisher leaves, capture and
// encoder finish as on a stop (the last partial segment is published) and the stream is held
// open, without new segments, for the next publisher.
import type { ExitInfo } from '../ffmpeg/process.js';
import { captureArgs, encoderArgs } from '../ffmpeg/args.js';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/process.js';
import { backoff } from '../retry/backoff.js';
import { createFrameSplitter } from './frames.js';
import type { IngestSession } from './ingest.js';
import { firstOutput, readSegmentList, runSession, segmentPattern, type Pipeline, type PipelineContext } from './pipeline.js';
import { createCaptureClock, type CaptureClock } from './segmenter.js';
import type { Frame, FrameStage } from './stage.js';
import { supervise, type Supervisor } from './supervisor.js';

interface EncoderRun {
  proc: FfmpegProcess;
  /** Capture times by the frame's index in this run (its timestamp times fps in this encoder). */
  clock: CaptureClock;
  written: number;
  listed: Promise<void>;
}

export function createPipedPipeline(ctx: PipelineContext, stage: FrameStage): Pipeline {
  const { options: opts, logger } = ctx;
  const args = captureArgs(ctx.source, opts.platform, opts);
  let capture: FfmpegProcess | undefined;
  let encoder: EncoderRun | undefined;
  let runs = 0;
  let stageErrors = 0;
  const supervisors: Supervisor[] = [];
  const ingest = ctx.source.kind === 'whip' ? ctx.source.ingest : undefined;
  let serving: { stop(): Promise<void> } | undefined;
  let resolveFirst: () => void = () => {};
  const firstFrame = new Promise<void>((resolve) => (resolveFirst = resolve));

  const onFrame = (frame: Frame) => {
    if (frame.index === 0) resolveFirst();
    try {
      stage.process(frame);
    } catch (error) {
      // A broken stage must not stop the video: the frame goes on as it is.
      if (stageErrors++ === 0) logger.error({ err: error, stage: stage.name }, 'frame stage failed; frames pass through');
    }
    const run = encoder;
    // Between an encoder's death and its restart there is nowhere to put the frame.
    if (!run?.proc.running || run.proc.stopping) return splitter.release(frame);
    run.clock.record(run.written++, frame.captureTime);
    if (!run.proc.stdin!.write(frame.data, () => splitter.release(frame))) splitter.block();
  };
  const splitter = createFrameSplitter({ width: opts.width, height: opts.height, onFrame });

  const startEncoder = (): FfmpegProcess => {
    const run = runs++;
    // Enough capture times to cover several segments still inside the encoder.
    const clock = createCaptureClock(Math.max(256, Math.ceil(opts.fps * opts.segmentSeconds * 4)), opts.fps);
    const proc = spawnFfmpeg({
      path: ctx.ffmpegPath,
      role: 'encoder',
      stdin: true,
      videoPipe: ctx.video !== undefined,
      args: encoderArgs({
        ...opts,
        segmentPattern: segmentPattern(ctx.folder, runSession(ctx.sessionId, run), opts.partSeconds),
        videoPipe: ctx.video !== undefined,
      }),
    });
    // Access unit n is frame n of this run: the encoder reorders nothing (zerolatency, no B-frames).
    if (proc.video) ctx.video?.attach(proc.video, (index) => clock.timeOf(index));
    const current: EncoderRun = { proc, clock, written: 0, listed: readSegmentList(proc, ctx, clock, run) };
    encoder = current;
    proc.stdin!.on('drain', () => encoder === current && splitter.unblock());
    // A dead encoder never drains: capture must not wait on it.
    void proc.exited.then(() => encoder === current && splitter.unblock());
    logger.debug({ pid: proc.pid, session: runSession(ctx.sessionId, run) }, 'encoder started');
    return proc;
  };

  const startCapture = (): FfmpegProcess => {
    const proc = spawnFfmpeg({ path: ctx.ffmpegPath, role: 'capture', args, stdin: ingest !== undefined });
    proc.stdout.pipe(splitter.writable());
    capture = proc;
    return proc;
  };

  const restartBackoff = () => backoff({ minMs: opts.retryMinMs * 2, maxMs: Math.max(opts.retryMaxMs * 4, 1000) });

  const superviseBoth = (firstCapture: FfmpegProcess, firstEncoder: FfmpegProcess, session?: IngestSession) => {
    supervisors.push(
      supervise(firstCapture, {
        role: 'capture',
        logger,
        backoff: restartBackoff(),
        onRestart: () => {},
        spawn: () => {
          splitter.discardPartial();
          const proc = startCapture();
          // A new decoder: the session starts it again at a keyframe.
          if (session) session.attach(proc.stdin!);
          return proc;
        },
      }),
      supervise(firstEncoder, {
        role: 'encoder',
        logger,
        backoff: restartBackoff(),
        onRestart: () => {},
        spawn: startEncoder,
        giveUp: { max: opts.encoderFailures, windowMs: opts.encoderFailureWindowMs, onGiveUp: ctx.onFatal },
      }),
    );
  };

  // Capture first, so the frames already in the pipe still reach the encoder; then the encoder,
  // whose closed stdin makes it flush and list the last, partial segment.
  const finish = async () => {
    for (const supervisor of supervisors.splice(0)) supervisor.stop();
    await capture?.stop(ingest ? 'stdin' : 'signal', 2000);
    await encoder?.proc.stop('stdin', 5000);
    await Promise.race([encoder?.listed, new Promise((r) => setTimeout(r, 1000).unref())]);
  };

  const sessions = {
    begin(session: IngestSession) {
      const firstEncoder = startEncoder();
      splitter.discardPartial();
      const firstCapture = startCapture();
      session.attach(firstCapture.stdin!);
      logger.info(
        { whip: session.id, capture: firstCapture.pid, encoder: firstEncoder.pid, session: runSession(ctx.sessionId, runs - 1) },
        'WHIP publisher: capture started',
      );
      superviseBoth(firstCapture, firstEncoder, session);
    },
    async end(session: IngestSession) {
      session.detach();
      await finish();
      logger.info({ whip: session.id }, 'WHIP publisher gone: last segment listed, waiting for the next one');
    },
  };

  return {
    mode: 'piped',
    async start() {
      if (ingest) {
        serving = ingest.serve(sessions);
        return;
      }
      const firstEncoder = startEncoder();
      const firstCapture = startCapture();
      logger.debug({ capture: args, pid: firstCapture.pid }, 'capture started');
      await firstOutput(
        firstFrame,
        [
          { proc: firstCapture, opensSource: true },
          { proc: firstEncoder, opensSource: false },
        ],
        ctx.source,
      );
      superviseBoth(firstCapture, firstEncoder);
    },
    async stop() {
      // A live WHIP publisher is ended first; its session's end finishes capture and encoder.
      await serving?.stop();
      await finish();
    },
    async kill() {
      void serving?.stop();
      for (const supervisor of supervisors) supervisor.stop();
      capture?.kill();
      encoder?.proc.kill();
      await Promise.all<ExitInfo | undefined>([capture?.exited, encoder?.proc.exited]);
    },
    pids: () => [capture, encoder?.proc].flatMap((p) => (p?.pid !== undefined && p.running ? [p.pid] : [])),
    frames: () => splitter.count,
  };
}
