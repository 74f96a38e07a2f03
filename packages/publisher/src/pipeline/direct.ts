// The direct pipeline: one ffmpeg captures, encodes and segments, for when no frame stage needs
// the raw frames (detection and the MJPEG preview off). It saves piping every frame through Node.
//
// No frame passes through Node, so there are no capture times: a segment's program date-time is
// the wall clock at the first listed segment (or part) minus its end, plus the segment's start
// from the list. This is later than the true capture time by the encoder's delay (small with
// zerolatency) and drifts if the source does not keep its nominal rate (cameras and RTSP carry
// their own timestamps, and a FIFO is read with arrival times, args.ts). The ffmpeg is also the
// capture, so one that dies is restarted like a capture (for ever, with backoff); each run is a
// new session (pipeline.ts, runSession), which makes the streamer mark a discontinuity.
import { directArgs } from '../ffmpeg/args.js';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/process.js';
import { backoff } from '../retry/backoff.js';
import { firstOutput, readSegmentList, runSession, segmentPattern, type Pipeline, type PipelineContext } from './pipeline.js';
import type { CaptureClock } from './segmenter.js';
import { supervise, type Supervisor } from './supervisor.js';

export function createDirectPipeline(ctx: PipelineContext): Pipeline {
  const { options: opts, logger } = ctx;
  let proc: FfmpegProcess | undefined;
  let listed: Promise<void> = Promise.resolve();
  let supervisor: Supervisor | undefined;
  let runs = 0;
  let earlierFrames = 0;
  let runFrames = 0;

  const startRun = (onOutput: () => void) => {
    const run = runs++;
    let base: number | undefined;
    const clock: CaptureClock = { record() {}, timeOf: (index) => (base === undefined ? undefined : base + (index * 1000) / opts.fps) };
    earlierFrames += runFrames;
    runFrames = 0;
    const next = spawnFfmpeg({
      path: ctx.ffmpegPath,
      role: 'ffmpeg',
      videoPipe: ctx.video !== undefined,
      args: directArgs(ctx.source, opts.platform, {
        ...opts,
        segmentPattern: segmentPattern(ctx.folder, runSession(ctx.sessionId, run), opts.partSeconds),
        videoPipe: ctx.video !== undefined,
      }),
      // Frames encoded so far in this run, from -progress.
      onProgress: (key, value) => {
        if (key === 'frame' && /^\d+$/.test(value)) runFrames = Number(value);
      },
    });
    // No capture times here: access unit n is dated like frame n of the segments (or, before the first, on arrival).
    if (next.video) ctx.video?.attach(next.video, (index) => clock.timeOf(index));
    listed = readSegmentList(next, ctx, clock, run, (segment) => {
      // Without a clock the segmenter dates the first segment "now minus its end"; later ones follow it.
      base ??= segment.programDateTime.getTime() - segment.start * 1000;
      onOutput();
    });
    proc = next;
    return next;
  };

  return {
    mode: 'direct',
    async start() {
      let output: () => void = () => {};
      const first = startRun(() => output());
      logger.debug({ pid: first.pid }, 'direct ffmpeg started');
      await firstOutput(new Promise<void>((resolve) => (output = resolve)), [{ proc: first, opensSource: true }], ctx.source);
      supervisor = supervise(first, {
        role: 'direct',
        logger,
        spawn: () => startRun(() => {}),
        onRestart: () => {},
        backoff: backoff({ minMs: opts.retryMinMs * 2, maxMs: Math.max(opts.retryMaxMs * 4, 1000) }),
      });
    },
    async stop() {
      supervisor?.stop();
      // SIGTERM makes ffmpeg finish the segment it is writing and list it.
      await proc?.stop('signal', 5000);
      await Promise.race([listed, new Promise((r) => setTimeout(r, 1000).unref())]);
    },
    async kill() {
      supervisor?.stop();
      proc?.kill();
      await proc?.exited;
    },
    pids: () => (proc?.pid !== undefined && proc.running ? [proc.pid] : []),
    frames: () => earlierFrames + runFrames,
  };
}
