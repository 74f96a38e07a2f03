// The MJPEG tap: a frame stage placed after the one that draws the boxes. While the streamer
// says someone is watching it takes at most `fps` frames a second, copies each and has one
// long-lived ffmpeg make a JPEG of it, which the sender pushes to the streamer. It never makes
// the frame loop wait: a frame that finds ffmpeg or the socket busy is skipped.
import { locateFfmpeg } from '../ffmpeg/locate.js';
import { needsFrames, type Frame, type FrameStage, type StreamInfo } from '../pipeline/stage.js';
import { createJpegEncoder, type JpegEncoder } from './encoder.js';
import { resolveMjpegOptions, type MjpegOptions } from './options.js';
import { createMjpegSender, type MjpegLogger, type MjpegSender } from './sender.js';

export interface MjpegTapOptions extends Partial<MjpegOptions> {
  /** Base URL of the streamer. */
  streamer: string;
  /** The publish token. */
  token?: string | undefined;
  /** The named stream; default `default`. */
  stream?: string | undefined;
  /** A live-channel connection the caller owns (capture on demand keeps one open between captures): used, never started or stopped here. */
  sender?: MjpegSender | undefined;
  /** Default: FFMPEG_PATH, else ffmpeg on PATH, else @ffmpeg-installer (as the publisher). */
  ffmpegPath?: string | undefined;
  logger?: MjpegLogger;
  /** Reconnect backoff; defaults 250 and 4000 ms. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** The streamer refused the token; the tap stops sending (HLS is not affected). */
  onFatal?(error: Error): void;
}

export interface MjpegTapStats {
  demand: boolean;
  connected: boolean;
  /** Frames handed to ffmpeg. */
  encoded: number;
  /** JPEGs sent to the streamer. */
  sent: number;
  /** Frames skipped because ffmpeg still had the previous one. */
  skippedBusy: number;
  /** JPEGs dropped because the socket was still sending the previous one (or demand ended). */
  dropped: number;
  lastJpegBytes: number;
  /** Pid of the JPEG ffmpeg while it runs. */
  encoderPid: number | undefined;
}

export interface MjpegTap extends FrameStage {
  readonly options: MjpegOptions;
  stats(): MjpegTapStats;
}

export function createMjpegTap(tapOptions: MjpegTapOptions): MjpegTap {
  const options = resolveMjpegOptions(tapOptions);
  const logger = tapOptions.logger;
  const intervalMs = 1000 / options.fps;
  const stats = { encoded: 0, sent: 0, skippedBusy: 0, dropped: 0, lastJpegBytes: 0 };
  let encoder: JpegEncoder | undefined;
  let sender: MjpegSender | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let nextDue = 0;

  const onJpeg = (jpeg: Buffer, captureTime: number) => {
    stats.lastJpegBytes = jpeg.length;
    if (sender?.send(jpeg, captureTime)) stats.sent++;
    else stats.dropped++;
  };

  const onDemand = (demand: boolean) => {
    clearTimeout(idleTimer);
    idleTimer = undefined;
    if (demand) {
      // Start ffmpeg before the first wanted frame arrives, so that frame is not late.
      encoder?.warmUp();
      return;
    }
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      logger?.debug({}, 'no MJPEG viewers for a while: stopping the JPEG encoder');
      void encoder?.stop();
    }, options.idleStopMs);
    idleTimer.unref();
  };

  return {
    name: 'mjpeg',
    // A preview that is off wants no frames, so it does not keep the publisher off its direct pipeline.
    needsFrames: options.enabled,
    options,

    async start(info: StreamInfo) {
      if (!options.enabled || encoder) return;
      const ffmpegPath = tapOptions.ffmpegPath ?? (await locateFfmpeg());
      encoder = createJpegEncoder({
        ffmpegPath,
        width: info.width,
        height: info.height,
        outWidth: options.size?.width,
        outHeight: options.size?.height,
        quality: options.quality,
        onJpeg,
        onExit: (error) => logger?.warn({ err: error }, 'the MJPEG encoder exited; restarting it with the next frame'),
      });
      if (tapOptions.sender) {
        sender = tapOptions.sender;
        return;
      }
      sender = createMjpegSender({
        streamer: tapOptions.streamer,
        token: tapOptions.token,
        stream: tapOptions.stream,
        logger,
        retryMinMs: tapOptions.retryMinMs,
        retryMaxMs: tapOptions.retryMaxMs,
        onDemand,
        onFatal: tapOptions.onFatal,
      });
      sender.start();
    },

    process(frame: Frame) {
      if (!encoder || !sender?.demand) return;
      const t = frame.captureTime;
      // Paced on capture time: at most `fps` a second, without a burst after an idle spell.
      if (t < nextDue - intervalMs / 4) return;
      if (encoder.busy) {
        stats.skippedBusy++;
        return;
      }
      if (!encoder.encode(frame.data, t)) return;
      stats.encoded++;
      nextDue = t - nextDue > intervalMs ? t + intervalMs : nextDue + intervalMs;
    },

    async stop() {
      clearTimeout(idleTimer);
      idleTimer = undefined;
      await Promise.all([sender === tapOptions.sender ? undefined : sender?.stop(), encoder?.stop()]);
      sender = undefined;
      encoder = undefined;
    },

    stats: () => ({
      ...stats,
      demand: sender?.demand ?? false,
      connected: sender?.connected ?? false,
      encoderPid: encoder?.pid(),
    }),
  };
}

/** Runs `stage` (e.g. the face boxes), then the tap on the same frame: one stage for the pipeline. */
export function withMjpegTap(stage: FrameStage, tap: MjpegTap): FrameStage {
  return {
    name: `${stage.name}+${tap.name}`,
    needsFrames: needsFrames(stage) || needsFrames(tap),
    async start(info) {
      await stage.start(info);
      await tap.start(info);
    },
    process(frame) {
      stage.process(frame);
      tap.process(frame);
    },
    async stop() {
      await Promise.all([stage.stop(), tap.stop()]);
    },
  };
}
