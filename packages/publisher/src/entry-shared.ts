// What both entries (main.ts, and on-demand-main.ts for each capture session) share: the pipeline
// parts built the same way from the same flags, and the stop signals.
import type { Logger } from 'pino';
import { createDetectStage, type DetectorChoice } from './detect/index.js';
import { createMjpegTap, type MjpegTapOptions } from './mjpeg/index.js';
import type { CreatePublisherOptions } from './publisher.js';

/** The flags the capture, encoder, detector and preview read, in both modes. */
export interface PipelineFlags {
  device?: string;
  input?: string;
  streamer: string;
  stream?: string;
  size: { width: number; height: number };
  fps: number;
  segmentSeconds: number;
  partSeconds?: number;
  bitrate: number;
  token?: string;
  queue: number;
  detector: DetectorChoice;
  minScore: number;
  detectFps: number;
  detections?: string;
  boxThickness: number;
  drawScores?: boolean;
  mjpeg: boolean;
  mjpegFps: number;
  mjpegSize?: { width: number; height: number };
  mjpegQuality: number;
}

/** The face detector stage, or undefined with `--detector off`. */
export function detectStageFor(flags: PipelineFlags, logger: Logger): ReturnType<typeof createDetectStage> | undefined {
  if (flags.detector === 'off') return undefined;
  return createDetectStage({
    detector: flags.detector,
    minScore: flags.minScore,
    detectFps: flags.detectFps,
    boxThickness: flags.boxThickness,
    drawScores: flags.drawScores ?? false,
    detectionsFile: flags.detections,
    logger,
  });
}

/** The MJPEG preview tap (`--mjpeg`), over `sender` when the caller owns the live channel. */
export function previewTapFor(flags: PipelineFlags, logger: Logger, extra: Pick<MjpegTapOptions, 'sender' | 'onFatal'>): ReturnType<typeof createMjpegTap> {
  return createMjpegTap({
    streamer: flags.streamer,
    stream: flags.stream,
    token: flags.token,
    logger,
    enabled: flags.mjpeg,
    fps: flags.mjpegFps,
    size: flags.mjpegSize,
    quality: flags.mjpegQuality,
    ...extra,
  });
}

/** The publisher's options that come from the flags (capture, encoder, upload). */
export function publisherOptionsFor(flags: PipelineFlags, platform: NodeJS.Platform, logger: Logger): CreatePublisherOptions {
  return {
    device: flags.device,
    input: flags.input,
    streamer: flags.streamer,
    stream: flags.stream,
    ...flags.size,
    fps: flags.fps,
    segmentSeconds: flags.segmentSeconds,
    partSeconds: flags.partSeconds,
    bitrate: flags.bitrate,
    token: flags.token,
    queue: flags.queue,
    platform,
    logger,
  };
}

/**
 * SIGINT/SIGTERM: the first calls `stop`; a second one more than a second later calls `now` (the exit
 * hooks kill ffmpeg on the way out); one within a second of the first is the same request delivered
 * twice (e.g. by `timeout` and a group kill) and is ignored. Returns the function that removes the handlers.
 */
export function onStopSignals(logger: Logger, message: string, stop: () => void, now: () => void): () => void {
  let signalledAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalledAt) return Date.now() - signalledAt > 1000 ? now() : undefined;
    signalledAt = Date.now();
    logger.info({ signal }, message);
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
