// The hls-streamer program: flags -> options -> a running streamer, stopped cleanly by a signal.
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { isStreamerError } from './errors.js';
import { DEFAULTS, defaultWebroot, type StreamerOptions, validators } from './options.js';
import { loadConfig } from './config.js';
import { createStreamer } from './streamer.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

// Commander shows an InvalidArgumentError's message after naming the flag: one line, no stack.
function flag<T>(validate: (value: unknown) => T): (value: string) => T {
  return (value) => {
    try {
      return validate(value);
    } catch (error) {
      throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
    }
  };
}

export function buildProgram(): Command {
  return new Command('hls-streamer')
    .description('Serve a live HLS stream (/stream.m3u8) from MPEG-TS segments POSTed by hls-publish.')
    .version(version)
    .option('-p, --port <port>', 'port to listen on', flag(validators.port), DEFAULTS.port)
    .option(
      '--host <host>',
      'interface to bind: 0.0.0.0 lets viewers on the LAN connect, 127.0.0.1 keeps it on this machine',
      flag(validators.host),
      DEFAULTS.host,
    )
    .option('--media-dir <dir>', 'folder for segment files (created when missing)', flag(validators.mediaDir), DEFAULTS.mediaDir)
    .option('--window <count>', 'segments listed in the live playlist', flag(validators.window), DEFAULTS.window)
    .option(
      '--publish-token <token>',
      'bearer token publishers must send (default: env HLS_PUBLISH_TOKEN, else publishing is open)',
      flag(validators.publishToken),
    )
    .option('--allow-open-publish', 'allow listening beyond loopback without --publish-token (anyone who can reach it may publish)', DEFAULTS.allowOpenPublish)
    .option(
      '--viewer-token <token>',
      'token viewers must present: open /?token=<token> once, a cookie keeps it (default: env HLS_VIEWER_TOKEN, else viewing is open)',
      flag(validators.viewerToken),
    )
    .option('--max-uploads <count>', 'publish uploads received at once; more get 503 TOO_MANY_UPLOADS', flag(validators.maxUploads), DEFAULTS.maxUploads)
    .option(
      '--request-timeout <seconds>',
      'time a client has to send a whole request, body included',
      flag(validators.requestTimeoutSeconds),
      DEFAULTS.requestTimeoutSeconds,
    )
    .option(
      '--headers-timeout <seconds>',
      'time a client has to send its request headers (at most --request-timeout)',
      flag(validators.headersTimeoutSeconds),
      DEFAULTS.headersTimeoutSeconds,
    )
    .option(
      '--target-duration <seconds>',
      "fix the playlist's target duration (default: the publisher's declared segment length)",
      flag(validators.targetDuration),
    )
    .option('--max-segment-bytes <bytes>', 'largest segment accepted', flag(validators.maxSegmentBytes), DEFAULTS.maxSegmentBytes)
    .option(
      '--mjpeg-idle-seconds <seconds>',
      'tell the publisher to stop MJPEG frames this long after the last /mjpeg viewer or snapshot',
      flag(validators.mjpegIdleSeconds),
      DEFAULTS.mjpegIdleSeconds,
    )
    .option(
      '--max-mjpeg-frame-bytes <bytes>',
      'largest MJPEG frame accepted from the publisher',
      flag(validators.maxMjpegFrameBytes),
      DEFAULTS.maxMjpegFrameBytes,
    )
    .option('--webrtc', 'serve WebRTC playback (WHEP at /whep): the page then tries it first', DEFAULTS.webrtc)
    .option('--webrtc-port <port>', 'the one UDP port every WebRTC (WHEP) viewer connects to', flag(validators.webrtcPort), DEFAULTS.webrtcPort)
    .option(
      '--webrtc-host <address>',
      'address announced to WebRTC viewers (LAN or public address, or 127.0.0.1); default: every local interface address',
      flag(validators.webrtcHost),
    )
    .option(
      '--max-webrtc-viewers <count>',
      'WebRTC viewers at once (more get 503); 0 turns WebRTC off',
      flag(validators.maxWebrtcViewers),
      DEFAULTS.maxWebrtcViewers,
    )
    .option(
      '--max-streams <count>',
      'streams held at once (default included); a new stream name past it gets 503 TOO_MANY_STREAMS',
      flag(validators.maxStreams),
      DEFAULTS.maxStreams,
    )
    .option(
      '--stream-retention <seconds>',
      'an ended stream with no publisher and no viewer is forgotten (its files deleted) after this long',
      flag(validators.streamRetentionSeconds),
      DEFAULTS.streamRetentionSeconds,
    )
    .option('--config <file>', 'per-stream publish and viewer tokens, YAML (.yaml/.yml) or JSON: `streams: { door: { publishToken, viewerToken } }`')
    .option('--cors-origin <origin>', 'Access-Control-Allow-Origin for viewers; `none` disables CORS', flag(validators.corsOrigin), DEFAULTS.corsOrigin)
    .option('--webroot <dir>', 'folder served at / (the viewer page)', flag(validators.webroot), defaultWebroot())
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', flag(validators.logLevel), DEFAULTS.logLevel)
    .exitOverride()
    .showSuggestionAfterError();
}

export function createLogger(level: StreamerOptions['logLevel'], tty: boolean): Logger {
  // JSON for machines; readable lines only when a person is watching the terminal.
  return tty ? pino({ level }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })) : pino({ level });
}

function lanUrls(port: number): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((info) => info !== undefined && info.family === 'IPv4' && !info.internal)
    .map((info) => `http://${info!.address}:${port}/`);
}

/** Runs the program; resolves once it is listening (or has failed, with process.exitCode set). */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const program = buildProgram();
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with exit code 0; usage errors are already printed.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    throw error;
  }
  const { requestTimeout, headersTimeout, streamRetention, config, ...flags } = program.opts<
    StreamerOptions & { publishToken?: string; requestTimeout: number; headersTimeout: number; streamRetention: number; config?: string }
  >();
  const logger = createLogger(flags.logLevel, process.stdout.isTTY === true);
  let streamer: ReturnType<typeof createStreamer> | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Should a connection or timer outlive close(), the process still ends.
    setTimeout(() => process.exit(0), 5000).unref();
    (streamer?.close() ?? Promise.resolve()).then(
      () => {
        process.off('SIGINT', stop).off('SIGTERM', stop);
        logger.info('stopped');
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'could not stop cleanly');
        process.exit(1);
      },
    );
  };
  try {
    streamer = createStreamer({
      ...flags,
      streamRetentionSeconds: streamRetention,
      streamTokens: config === undefined ? undefined : await loadConfig(config),
      requestTimeoutSeconds: requestTimeout,
      headersTimeoutSeconds: headersTimeout,
      publishToken: flags.publishToken ?? (env.HLS_PUBLISH_TOKEN || undefined),
      viewerToken: flags.viewerToken ?? (env.HLS_VIEWER_TOKEN || undefined),
      logger,
    });
    // Before listen: a signal that arrives as soon as "listening" is logged must stop it cleanly.
    process.on('SIGINT', stop).on('SIGTERM', stop);
    const { port } = await streamer.listen();
    if (streamer.options.host === '0.0.0.0') logger.info({ urls: lanUrls(port) }, 'viewers on the LAN can open');
  } catch (error) {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await streamer?.close();
    const message = isStreamerError(error) || (error as NodeJS.ErrnoException).code ? (error as Error).message : String(error);
    process.stderr.write(`hls-streamer: ${message}\n`);
    process.exitCode = 1;
  }
}
