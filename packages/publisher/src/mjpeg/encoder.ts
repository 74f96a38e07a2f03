// One long-lived ffmpeg that turns raw frames into JPEGs, one frame at a time: while a frame
// is inside ffmpeg the encoder is busy and `encode` refuses the next one (the caller skips it),
// so nothing ever queues and the frame loop never waits.
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/process.js';
import { jpegEncoderArgs, type JpegEncoderFormat } from './args.js';
import { createJpegSplitter } from './jpeg-splitter.js';

export interface JpegEncoderOptions extends JpegEncoderFormat {
  ffmpegPath: string;
  /** Each JPEG with the capture time of the frame it came from. */
  onJpeg(jpeg: Buffer, captureTime: number): void;
  /** An exit nobody asked for; the next `encode` starts a new ffmpeg. */
  onExit?(error: Error): void;
  /** A frame inside ffmpeg longer than this means ffmpeg is stuck: it is killed. Default 3000 ms. */
  stuckMs?: number;
  now?: () => number;
}

export interface JpegEncoder {
  /** Starts ffmpeg now (it takes ~50 ms) so the first frame is not delayed by it. */
  warmUp(): void;
  /** Copies `data` and hands it to ffmpeg; false (nothing done) while the previous frame is still inside. */
  encode(data: Buffer, captureTime: number): boolean;
  readonly busy: boolean;
  /** Pid of the running ffmpeg, if any. */
  pid(): number | undefined;
  /** Stops ffmpeg (closing stdin, then SIGKILL); a later `encode` or `warmUp` starts it again. */
  stop(): Promise<void>;
}

export function createJpegEncoder(options: JpegEncoderOptions): JpegEncoder {
  const now = options.now ?? Date.now;
  const stuckMs = options.stuckMs ?? 3000;
  let proc: FfmpegProcess | undefined;
  let inFlight: { captureTime: number; since: number } | undefined;
  // One reusable copy: with one frame in flight at most, it is free again by the next encode.
  let scratch: Buffer | undefined;
  // After an unexpected exit, no new ffmpeg before this time, so a broken one is not respawned in a loop.
  let retryAt = 0;

  const splitter = createJpegSplitter((jpeg) => {
    const frame = inFlight;
    inFlight = undefined;
    if (frame) options.onJpeg(jpeg, frame.captureTime);
  });

  const spawn = (): FfmpegProcess => {
    const child = spawnFfmpeg({ path: options.ffmpegPath, role: 'mjpeg', stdin: true, args: jpegEncoderArgs(options) });
    splitter.reset();
    child.stdout.on('data', (chunk: Buffer) => {
      if (proc === child) splitter.push(chunk);
    });
    void child.exited.then((info) => {
      if (proc !== child) return;
      proc = undefined;
      inFlight = undefined;
      if (child.stopping) return;
      retryAt = now() + 1000;
      options.onExit?.(child.exitError(info));
    });
    return child;
  };

  const running = () => (proc?.running ? proc : undefined);

  return {
    warmUp() {
      if (now() >= retryAt) proc = running() ?? spawn();
    },
    encode(data, captureTime) {
      if (inFlight) {
        if (now() - inFlight.since < stuckMs) return false;
        proc?.kill();
        proc = undefined;
        inFlight = undefined;
      }
      if (!running() && now() < retryAt) return false;
      proc = running() ?? spawn();
      if (!proc.stdin || proc.stdin.destroyed) return false;
      if (scratch?.length !== data.length) scratch = Buffer.allocUnsafe(data.length);
      data.copy(scratch);
      inFlight = { captureTime, since: now() };
      proc.stdin.write(scratch);
      return true;
    },
    get busy() {
      return inFlight !== undefined;
    },
    pid: () => running()?.pid,
    async stop() {
      const child = proc;
      proc = undefined;
      inFlight = undefined;
      if (child) await child.stop('stdin', 1000);
    },
  };
}
