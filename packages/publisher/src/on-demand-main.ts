// `hls-publish --on-demand`: one live-channel connection to the streamer for the whole run, and a
// capture session (a publisher that pauses rather than ends the stream) while someone watches.
import { endHeaders, PUBLISH_END_PATH, streamerUrl, streamHeaders } from '@hls-live/protocol';
import type { Logger } from 'pino';
import { detectStageFor, onStopSignals, type PipelineFlags, previewTapFor, publisherOptionsFor } from './entry-shared.js';
import { createMjpegSender } from './mjpeg/sender.js';
import { withMjpegTap } from './mjpeg/index.js';
import { createOnDemand } from './on-demand.js';
import { createIdentityStage } from './pipeline/stage.js';
import { createPublisher, type Publisher } from './publisher.js';
import { createVideoFeed } from './webrtc/video-feed.js';
import type { StatusLine } from './status-line.js';

/** The flags this mode reads (main.ts parses them). */
export interface OnDemandFlags extends PipelineFlags {
  idleSeconds: number;
  metricsPort?: number;
  webrtc?: boolean;
}

export interface OnDemandIo {
  stderr: NodeJS.WriteStream;
  platform: NodeJS.Platform;
  stopDeadlineMs?: number;
}

/** Runs until a signal (exit 0) or a failure (exit 1); the stream is ended on the way out if any session published. */
export async function runOnDemand(flags: OnDemandFlags, io: OnDemandIo, logger: Logger, statusLine: StatusLine | undefined): Promise<number> {
  if (flags.metricsPort !== undefined) {
    io.stderr.write('hls-publish: --metrics-port is not available with --on-demand yet\n');
    return 2;
  }
  let settle: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (settle = resolve));
  let failed = false;
  const fail = (error: Error) => {
    if (failed) return;
    failed = true;
    statusLine?.clear();
    io.stderr.write(`hls-publish: ${error.message}\n`);
    settle(1);
  };
  let lastSession: Publisher | undefined;
  const controller = createOnDemand({
    idleSeconds: flags.idleSeconds,
    logger,
    onError: fail,
    onSession(session) {
      lastSession = session;
      if (statusLine) session.on('status', (status) => statusLine.render(status));
    },
    createSession: () => {
      const stage = withMjpegTap(detectStageFor(flags, logger) ?? createIdentityStage(), previewTapFor(flags, logger, { sender }));
      return createPublisher({
        ...publisherOptionsFor(flags, io.platform, logger),
        stage,
        endOnStop: false,
        video,
      });
    },
  });
  // The live channel: preview frames while a session runs, and the streamer's capture messages always.
  const sender = createMjpegSender({
    streamer: flags.streamer,
    stream: flags.stream,
    token: flags.token,
    logger,
    captureOnDemand: true,
    targetDuration: Math.ceil(flags.segmentSeconds),
    onCapture: (watched) => controller.capture(watched),
    onFatal: fail,
  });
  // WebRTC playback (`--webrtc`): the encoder's H.264 over the same live channel, while a session captures.
  const video = flags.webrtc ? createVideoFeed(sender) : undefined;
  if (video) sender.onChange(() => video.demandChanged(sender.videoDemand));
  sender.start();
  logger.info({ stream: flags.stream, streamer: flags.streamer, idleSeconds: flags.idleSeconds }, 'waiting for a viewer (capture on demand)');

  const offSignals = onStopSignals(
    logger,
    'stopping',
    () => settle(0),
    () => settle(130),
  );
  try {
    const code = await finished;
    const deadline = setTimeout(() => {
      io.stderr.write('hls-publish: could not stop in time; killed ffmpeg\n');
      process.exit(code || 1);
    }, io.stopDeadlineMs ?? 20_000);
    deadline.unref();
    await controller.stop();
    await sender.stop();
    // The publisher goes away: its stream has ended (an idle pause does not end it).
    if (code === 0 && lastSession && lastSession.status().sent > 0) await endStream(flags, lastSession.sessionId, logger);
    clearTimeout(deadline);
    statusLine?.clear();
    return code;
  } finally {
    offSignals();
  }
}

async function endStream(flags: OnDemandFlags, session: string, logger: Logger): Promise<void> {
  try {
    const res = await fetch(streamerUrl(flags.streamer, PUBLISH_END_PATH), {
      method: 'POST',
      headers: { ...endHeaders(session, flags.token), ...streamHeaders(flags.stream) },
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
  } catch (error) {
    logger.warn({ err: error }, 'could not end the stream');
  }
}
