// The hls-publish command: flags -> options, run the publisher until a signal or a failure,
// and turn every expected failure into one line on stderr and a non-zero exit code.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { OptionError } from './errors.js';
import { listCameras } from './ffmpeg/devices.js';
import { locateFfmpeg } from './ffmpeg/locate.js';
import { createLogger } from './log.js';
import {
  DEFAULTS,
  parseBitrate,
  parseFps,
  parseIdleSeconds,
  parseLogLevel,
  parsePartSeconds,
  parseQueue,
  parseSegmentSeconds,
  parseSize,
  parseStream,
  parseStreamerUrl,
  parseToken,
  type LogLevel,
} from './options.js';
import { detectStageFor, onStopSignals, type PipelineFlags, previewTapFor, publisherOptionsFor } from './entry-shared.js';
import { runOnDemand } from './on-demand-main.js';
import { createPublisher } from './publisher.js';
import { createIdentityStage } from './pipeline/stage.js';
import { DEFAULT_MJPEG_OPTIONS, parseMjpeg, parseMjpegFps, parseMjpegQuality, parseMjpegSize, withMjpegTap } from './mjpeg/index.js';
import { DEFAULT_DETECT_OPTIONS, parseBoxThickness, parseDetectFps, parseDetectionsFile, parseDetector, parseMinScore } from './detect/index.js';
import { createStatusLine } from './status-line.js';
import { createMjpegSender } from './mjpeg/sender.js';
import { createVideoFeed, parseWebrtc } from './webrtc/video-feed.js';
import { createPublisherMetrics, parseMetricsHost, parseMetricsPort, startMetricsServer } from './metrics.js';
import { openWhipServer, parseWhipHost, parseWhipPort, parseWhipToken, WHIP_DEFAULTS, type OpenedWhipServer } from './whip/index.js';

export interface MainIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  platform: NodeJS.Platform;
  /** Hard deadline for a graceful stop after a signal. */
  stopDeadlineMs?: number;
}

export interface Flags extends PipelineFlags {
  onDemand?: boolean;
  idleSeconds: number;
  listDevices?: boolean;
  logLevel: LogLevel;
  webrtc: boolean;
  metricsPort?: number;
  metricsHost: string;
  whipPort: number;
  whipHost: string;
  whipToken?: string;
  allowOpenWhip?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

// Commander prints InvalidArgumentError as one line naming the flag; our validators' messages go inside.
const arg =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (error) {
      throw error instanceof OptionError ? new InvalidArgumentError(error.message) : error;
    }
  };

export function buildProgram(io: Pick<MainIo, 'stdout' | 'stderr'>): Command {
  return new Command('hls-publish')
    .description('Capture a camera (or a test pattern, a file, an RTSP camera) and publish it as HLS segments to hls-streamer.')
    .addOption(new Option('--device <id>', 'camera: index (0), /dev/videoN, or name; default 0 when no --input'))
    .addOption(
      new Option(
        '--input <source>',
        'other source: `test`, a video or image file (looped), rtsp://..., or `whip` (a browser or OBS publishes to us)',
      ).conflicts('device'),
    )
    .addOption(new Option('--streamer <url>', 'streamer base URL').default(DEFAULTS.streamer).argParser(arg(parseStreamerUrl)))
    .addOption(
      new Option('--stream <name>', 'named stream to publish (served at /live/<name>/); 1-64 of [a-z0-9_-]').default('default').argParser(arg(parseStream)),
    )
    .addOption(new Option('--on-demand', 'keep the camera closed until someone watches the stream; stop capture after --idle-seconds without viewers'))
    .addOption(
      new Option('--idle-seconds <s>', 'with --on-demand: seconds without viewers before capture stops')
        .default(DEFAULTS.idleSeconds)
        .argParser(arg(parseIdleSeconds)),
    )
    .addOption(
      new Option('--size <WxH>', 'frame size')
        .default({ width: DEFAULTS.width, height: DEFAULTS.height }, `${DEFAULTS.width}x${DEFAULTS.height}`)
        .argParser(arg(parseSize)),
    )
    .addOption(new Option('--fps <n>', 'frames per second').default(DEFAULTS.fps).argParser(arg(parseFps)))
    .addOption(new Option('--segment-seconds <s>', 'segment length in seconds').default(DEFAULTS.segmentSeconds).argParser(arg(parseSegmentSeconds)))
    .addOption(
      new Option('--part-seconds <s>', 'Low-Latency HLS part length, 0.1-1 s, whole frames dividing the segment (e.g. 0.2); off by default').argParser(
        arg(parsePartSeconds),
      ),
    )
    .addOption(new Option('--bitrate <rate>', 'video bitrate (e.g. 1500k, 2M)').default(DEFAULTS.bitrate, '1500k').argParser(arg(parseBitrate)))
    .addOption(new Option('--token <token>', 'publish token of the streamer (default: env HLS_PUBLISH_TOKEN)').argParser(arg(parseToken)))
    .addOption(new Option('--queue <n>', 'segments held while the streamer is unreachable').default(DEFAULTS.queue).argParser(arg(parseQueue)))
    .addOption(
      new Option('--detector <name|off>', 'face detector: blazeface, ssd, tiny, or off').default(DEFAULT_DETECT_OPTIONS.detector).argParser(arg(parseDetector)),
    )
    .addOption(new Option('--min-score <0..1>', 'faces scoring lower are not boxed').default(DEFAULT_DETECT_OPTIONS.minScore).argParser(arg(parseMinScore)))
    .addOption(
      new Option('--detect-fps <max>', 'at most this many detections per second').default(DEFAULT_DETECT_OPTIONS.detectFps).argParser(arg(parseDetectFps)),
    )
    .addOption(new Option('--detections <file>', 'write each detector result as a JSON line to this file').argParser(arg(parseDetectionsFile)))
    .addOption(new Option('--box-thickness <px>', 'face box line width').default(DEFAULT_DETECT_OPTIONS.boxThickness).argParser(arg(parseBoxThickness)))
    .addOption(new Option('--draw-scores', 'draw each face score above its box'))
    .addOption(
      new Option('--mjpeg <on|off>', "send a JPEG preview for the streamer's /mjpeg while someone watches it")
        .default(DEFAULT_MJPEG_OPTIONS.enabled, 'on')
        .argParser(arg(parseMjpeg)),
    )
    .addOption(new Option('--mjpeg-fps <n>', 'most preview JPEGs per second').default(DEFAULT_MJPEG_OPTIONS.fps).argParser(arg(parseMjpegFps)))
    .addOption(new Option('--mjpeg-size <WxH>', 'preview size (default: the frame size)').argParser(arg(parseMjpegSize)))
    .addOption(new Option('--mjpeg-quality <2..31>', 'preview JPEG quality, 2 best').default(DEFAULT_MJPEG_OPTIONS.quality).argParser(arg(parseMjpegQuality)))
    .addOption(
      new Option('--webrtc <on|off>', "send the encoded H.264 (Constrained Baseline) for the streamer's WebRTC viewers while any watch")
        .default(true, 'on')
        .argParser(arg(parseWebrtc)),
    )
    .addOption(
      new Option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (0: any free port); off by default').argParser(
        arg(parseMetricsPort),
      ),
    )
    .addOption(new Option('--metrics-host <host>', 'interface for --metrics-port').default('127.0.0.1').argParser(arg(parseMetricsHost)))
    .addOption(
      new Option('--whip-port <port>', 'with --input whip: port of the WHIP endpoint (/whip) and the capture page (/)')
        .default(WHIP_DEFAULTS.port)
        .argParser(arg(parseWhipPort)),
    )
    .addOption(
      new Option('--whip-host <host>', 'with --input whip: interface to listen on (0.0.0.0 for phones on the LAN; needs --whip-token)')
        .default(WHIP_DEFAULTS.host)
        .argParser(arg(parseWhipHost)),
    )
    .addOption(
      new Option('--whip-token <token>', 'with --input whip: bearer token publishers must send (default: env HLS_WHIP_TOKEN)').argParser(arg(parseWhipToken)),
    )
    .addOption(new Option('--allow-open-whip', 'allow --whip-host beyond loopback without --whip-token (anyone who can reach it may publish)'))
    .addOption(new Option('--tls-cert <file>', 'with --input whip: PEM certificate for HTTPS (default beyond loopback: a self-signed one made at start)'))
    .addOption(new Option('--tls-key <file>', 'with --input whip: PEM private key of --tls-cert'))
    .addOption(new Option('--list-devices', 'print the cameras and exit'))
    .addOption(new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent').default('info').argParser(arg(parseLogLevel)))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
}

export async function main(argv: string[], io: MainIo): Promise<number> {
  const program = buildProgram(io);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    // Commander has already printed its one-line message (or the help / version text).
    return error instanceof CommanderError ? error.exitCode : 1;
  }
  const flags = program.opts<Flags>();
  try {
    // Read here rather than through commander's .env(): an empty variable means "no token".
    flags.token ??= io.env.HLS_PUBLISH_TOKEN ? parseToken(io.env.HLS_PUBLISH_TOKEN) : undefined;
    flags.whipToken ??= io.env.HLS_WHIP_TOKEN ? parseWhipToken(io.env.HLS_WHIP_TOKEN) : undefined;
    if (flags.listDevices) return await listDevices(io);
    return await run(flags, io);
  } catch (error) {
    // Expected failures (missing camera, no ffmpeg, bad input file) are one line, no stack.
    io.stderr.write(`hls-publish: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

async function listDevices(io: MainIo): Promise<number> {
  const cameras = await listCameras({ ffmpegPath: await locateFfmpeg(), platform: io.platform });
  if (!cameras.length) {
    io.stdout.write('No cameras found. Use `--input test` for a test pattern, or `--input FILE` / `--input rtsp://...`.\n');
    return 0;
  }
  for (const camera of cameras) io.stdout.write(`${camera.id}\t${camera.name}\n`);
  return 0;
}

async function run(flags: Flags, io: MainIo): Promise<number> {
  const statusLine = io.stderr.isTTY ? createStatusLine(io.stderr) : undefined;
  const logger = createLogger(flags.logLevel, statusLine);
  if (flags.onDemand) return runOnDemand(flags, io, logger, statusLine);
  const detector = detectStageFor(flags, logger);
  const detect = detector ?? createIdentityStage();
  // WebRTC playback: one live WebSocket carries the preview and the encoder's H.264 (webrtc/video-feed.ts).
  const live = flags.webrtc
    ? createMjpegSender({
        streamer: flags.streamer,
        stream: flags.stream,
        token: flags.token,
        logger,
        onFatal: (error) => logger.error({ err: error }, 'MJPEG preview and WebRTC video off'),
      })
    : undefined;
  const video = live ? createVideoFeed(live) : undefined;
  live?.onChange(() => video?.demandChanged(live.videoDemand));
  live?.start();
  // The preview sees frames after the boxes are drawn; a refused token turns only the preview off.
  const stage = withMjpegTap(detect, previewTapFor(flags, logger, { sender: live, onFatal: (error) => logger.error({ err: error }, 'MJPEG preview off') }));
  // The WHIP server listens before the pipeline starts, so a taken port fails at once.
  const whip = flags.input === 'whip' ? await openWhip(flags, io, logger) : undefined;
  const publisher = createPublisher({
    ...publisherOptionsFor(flags, io.platform, logger),
    whip: whip?.server,
    // With detection and the preview off the stage needs no frames, so the publisher runs its direct
    // pipeline (one ffmpeg captures, encodes and segments; issue 5, publishing cost).
    stage,
    video,
  });
  if (statusLine) publisher.on('status', (status) => statusLine.render(status));
  const metrics = flags.metricsPort === undefined ? undefined : createPublisherMetrics({ publisher, fps: flags.fps, detect: detector });
  const metricsServer = metrics ? await startMetricsServer(metrics, flags.metricsPort!, flags.metricsHost) : undefined;
  if (metricsServer) logger.info({ url: metricsServer.url }, 'metrics served');

  let settle: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (settle = resolve));
  const stopThen = (code: number) => {
    const deadline = setTimeout(() => {
      io.stderr.write('hls-publish: could not stop in time; killed ffmpeg\n');
      settle(1);
    }, io.stopDeadlineMs ?? 20_000);
    void publisher.stop().then(() => {
      clearTimeout(deadline);
      settle(code);
    });
  };
  const offSignals = onStopSignals(
    logger,
    'stopping: publishing the last segment',
    () => stopThen(0),
    () => settle(130),
  );
  publisher.on('error', (error) => {
    statusLine?.clear();
    io.stderr.write(`hls-publish: ${error.message}\n`);
    stopThen(1);
  });
  try {
    await publisher.start();
    const code = await finished;
    statusLine?.clear();
    return code;
  } finally {
    offSignals();
    await metricsServer?.close();
    metrics?.close();
    await live?.stop();
    await whip?.server.close();
  }
}

async function openWhip(flags: Flags, io: MainIo, logger: ReturnType<typeof createLogger>): Promise<OpenedWhipServer> {
  const opened = await openWhipServer(
    {
      port: flags.whipPort,
      host: flags.whipHost,
      token: flags.whipToken,
      allowOpen: flags.allowOpenWhip ?? false,
      tlsCert: flags.tlsCert,
      tlsKey: flags.tlsKey,
    },
    logger,
  );
  // Printed whatever the log level: the user needs these lines to connect a phone or OBS.
  const lines = [`WHIP endpoint: ${opened.url}/whip${flags.whipToken ? ' (bearer token: --whip-token)' : ''}`];
  for (const url of opened.reachableAt) lines.push(`capture page: ${url}`);
  if (opened.tls) lines.push(`TLS certificate${opened.tls.selfSigned ? ' (self-signed, made now)' : ''} SHA-256: ${opened.tls.fingerprint}`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return opened;
}
