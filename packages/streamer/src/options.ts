// The streamer's options: one typed object, defaults in one place, validated at the boundary
// with messages that name the flag and the value received.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { MAX_TARGET_DURATION } from '@hls-live/protocol';
import { StreamerError } from './errors.js';
import type { StreamTokens } from './streams/registry.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StreamerOptions {
  /** Port `listen()` uses when given none. Default 8080. */
  port?: number;
  /** Interface `listen()` binds when given none. Default `0.0.0.0`, so viewers on the LAN can connect. */
  host?: string;
  /** Folder for segment files, created when missing. Default `./media` (from the working directory). */
  mediaDir?: string;
  /** Segments listed in the playlist. Default 10. */
  window?: number;
  /** Bearer token publishers must send; none means publishing is open. Default none. */
  publishToken?: string | undefined;
  /** Lets `listen()` bind beyond loopback without a publish token (anyone could publish). Default false. */
  allowOpenPublish?: boolean;
  /** Token viewers must present (`?token=` once, then a cookie) to GET the page, playlist, segments and MJPEG. Default none. */
  viewerToken?: string | undefined;
  /** Publish uploads received at once; more are refused with 503 TOO_MANY_UPLOADS. Default 8. */
  maxUploads?: number;
  /** Seconds a client has to send a whole request (headers and body). Default 60. */
  requestTimeoutSeconds?: number;
  /** Seconds a client has to send its request headers (slow-loris guard), at most `requestTimeoutSeconds`. Default 10. */
  headersTimeoutSeconds?: number;
  /** Fixed target duration (1-30 s); default none: each stream takes the publisher's `X-Target-Duration`. */
  targetDuration?: number | undefined;
  /** Largest accepted segment. Default 64 MiB. */
  maxSegmentBytes?: number;
  /** MJPEG demand stays on this many seconds after the last `/mjpeg` viewer or snapshot. Default 10. */
  mjpegIdleSeconds?: number;
  /** Largest MJPEG frame (JPEG bytes) a publisher may send. Default 8 MiB. */
  maxMjpegFrameBytes?: number;
  /** Streams held at once, `default` included; a new name past it gets 503 TOO_MANY_STREAMS. Default 32. */
  maxStreams?: number;
  /** Seconds an ended (or never published) stream with no publisher and no viewer is kept before it is forgotten and its files deleted. Default 300. */
  streamRetentionSeconds?: number;
  /** Per-stream publish and viewer tokens (from `--config`); a stream not listed uses the global tokens. Default none. */
  streamTokens?: ReadonlyMap<string, StreamTokens> | undefined;
  /** Serve WebRTC playback (WHEP at `/whep`) and ask publishers for their H.264 while anyone watches that way. Default false. */
  webrtc?: boolean;
  /** The one UDP port every WebRTC (WHEP) session shares (ICE UDP mux). Default 8189. */
  webrtcPort?: number;
  /** Address announced in WebRTC ICE candidates (LAN, public address behind NAT, or 127.0.0.1); none: every local interface address. Default none. */
  webrtcHost?: string | undefined;
  /** WebRTC viewers at once; past it POST /whep answers 503; 0 turns WebRTC off. Default 100. */
  maxWebrtcViewers?: number;
  /** `Access-Control-Allow-Origin` on GET/HEAD; `none` sends no CORS header. Default `*`. */
  corsOrigin?: string;
  /** Folder served at `/`. Default the repository's `webroot/`. */
  webroot?: string;
  /** pino level. Default `info`. */
  logLevel?: LogLevel;
  /** A ready logger; when given, `logLevel` is not used. */
  logger?: Logger;
}

export interface ResolvedOptions {
  readonly port: number;
  readonly host: string;
  readonly mediaDir: string;
  readonly window: number;
  readonly publishToken: string | undefined;
  readonly allowOpenPublish: boolean;
  readonly viewerToken: string | undefined;
  readonly maxUploads: number;
  readonly requestTimeoutSeconds: number;
  /** Never more than `requestTimeoutSeconds`. */
  readonly headersTimeoutSeconds: number;
  readonly targetDuration: number | undefined;
  readonly maxSegmentBytes: number;
  readonly mjpegIdleSeconds: number;
  readonly maxMjpegFrameBytes: number;
  readonly maxStreams: number;
  readonly streamRetentionSeconds: number;
  readonly streamTokens: ReadonlyMap<string, StreamTokens> | undefined;
  readonly webrtc: boolean;
  readonly webrtcPort: number;
  readonly webrtcHost: string | undefined;
  readonly maxWebrtcViewers: number;
  /** Null when CORS is disabled. */
  readonly corsOrigin: string | null;
  readonly webroot: string;
  readonly logLevel: LogLevel;
  readonly logger: Logger | undefined;
}

/** packages/streamer/{src,dist}/options.js -> the repository's webroot/. */
export function defaultWebroot(): string {
  return fileURLToPath(new URL('../../../webroot/', import.meta.url));
}

export const DEFAULTS = {
  port: 8080,
  host: '0.0.0.0',
  mediaDir: './media',
  window: 10,
  maxSegmentBytes: 64 * 1024 * 1024,
  mjpegIdleSeconds: 10,
  maxMjpegFrameBytes: 8 * 1024 * 1024,
  maxStreams: 32,
  streamRetentionSeconds: 300,
  webrtc: false,
  webrtcPort: 8189,
  maxWebrtcViewers: 100,
  corsOrigin: '*',
  logLevel: 'info',
  allowOpenPublish: false,
  maxUploads: 8,
  requestTimeoutSeconds: 60,
  headersTimeoutSeconds: 10,
} as const;

function invalid(flag: string, expected: string, value: unknown): StreamerError {
  const shown = typeof value === 'string' ? value : String(value);
  return new StreamerError('INVALID_OPTION', `Expected \`${flag}\` to be ${expected}, got \`${shown}\``, { option: flag, value: shown });
}

function integer(flag: string, value: unknown, min: number, max: number, expected: string): number {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < min || number > max) throw invalid(flag, expected, value);
  return number;
}

export const validators = {
  port: (value: unknown) => integer('--port', value, 0, 65535, 'a port number from 0 to 65535'),
  window: (value: unknown) => integer('--window', value, 1, 10_000, 'a positive integer'),
  targetDuration: (value: unknown) =>
    integer('--target-duration', value, 1, MAX_TARGET_DURATION, `an integer number of seconds from 1 to ${MAX_TARGET_DURATION}`),
  maxSegmentBytes: (value: unknown) => integer('--max-segment-bytes', value, 1, Number.MAX_SAFE_INTEGER, 'a positive integer number of bytes'),
  maxMjpegFrameBytes: (value: unknown) =>
    integer('--max-mjpeg-frame-bytes', value, 1024, 256 * 1024 * 1024, 'an integer number of bytes from 1024 to 268435456'),
  mjpegIdleSeconds(value: unknown): number {
    const number = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0 || number > 3600) {
      throw invalid('--mjpeg-idle-seconds', 'a number of seconds in (0, 3600]', value);
    }
    return number;
  },
  maxStreams: (value: unknown) => integer('--max-streams', value, 1, 10_000, 'an integer from 1 to 10000'),
  streamRetentionSeconds(value: unknown): number {
    const number = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0 || number > 30 * 86_400) {
      throw invalid('--stream-retention', 'a number of seconds in (0, 2592000]', value);
    }
    return number;
  },
  host: (value: unknown) => nonEmpty('--host', value),
  webrtcPort: (value: unknown) => integer('--webrtc-port', value, 1, 65535, 'a UDP port number from 1 to 65535'),
  webrtcHost(value: unknown): string {
    const text = nonEmpty('--webrtc-host', value);
    if (/^[\w.:-]+$/.test(text)) return text;
    throw invalid('--webrtc-host', 'an IP address or host name such as `192.168.1.20`', value);
  },
  maxWebrtcViewers: (value: unknown) => integer('--max-webrtc-viewers', value, 0, 10_000, 'an integer from 0 (WebRTC off) to 10000'),
  mediaDir: (value: unknown) => nonEmpty('--media-dir', value),
  webroot: (value: unknown) => nonEmpty('--webroot', value),
  publishToken: (value: unknown) => nonEmpty('--publish-token', value),
  viewerToken: (value: unknown) => nonEmpty('--viewer-token', value),
  maxUploads: (value: unknown) => integer('--max-uploads', value, 1, 1000, 'an integer from 1 to 1000'),
  requestTimeoutSeconds: (value: unknown) => integer('--request-timeout', value, 1, 3600, 'an integer number of seconds from 1 to 3600'),
  headersTimeoutSeconds: (value: unknown) => integer('--headers-timeout', value, 1, 3600, 'an integer number of seconds from 1 to 3600'),
  corsOrigin(value: unknown): string {
    const text = nonEmpty('--cors-origin', value);
    if (text === '*' || text === 'none' || /^https?:\/\/[^/\s]+$/.test(text)) return text;
    throw invalid('--cors-origin', '`*`, `none` or an origin such as `https://example.com`', value);
  },
  logLevel(value: unknown): LogLevel {
    if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
    throw invalid('--log-level', `one of ${LOG_LEVELS.join(', ')}`, value);
  },
};

function nonEmpty(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(flag, 'a non-empty string', value);
  return value;
}

export function resolveOptions(options: StreamerOptions = {}): ResolvedOptions {
  const cors = validators.corsOrigin(options.corsOrigin ?? DEFAULTS.corsOrigin);
  const requestTimeoutSeconds = validators.requestTimeoutSeconds(options.requestTimeoutSeconds ?? DEFAULTS.requestTimeoutSeconds);
  return {
    port: validators.port(options.port ?? DEFAULTS.port),
    host: validators.host(options.host ?? DEFAULTS.host),
    mediaDir: resolve(validators.mediaDir(options.mediaDir ?? DEFAULTS.mediaDir)),
    window: validators.window(options.window ?? DEFAULTS.window),
    publishToken: options.publishToken === undefined ? undefined : validators.publishToken(options.publishToken),
    allowOpenPublish: options.allowOpenPublish ?? DEFAULTS.allowOpenPublish,
    viewerToken: options.viewerToken === undefined ? undefined : validators.viewerToken(options.viewerToken),
    maxUploads: validators.maxUploads(options.maxUploads ?? DEFAULTS.maxUploads),
    requestTimeoutSeconds,
    // Node refuses a headers timeout longer than the request timeout; the whole request bounds its headers anyway.
    headersTimeoutSeconds: Math.min(requestTimeoutSeconds, validators.headersTimeoutSeconds(options.headersTimeoutSeconds ?? DEFAULTS.headersTimeoutSeconds)),
    targetDuration: options.targetDuration === undefined ? undefined : validators.targetDuration(options.targetDuration),
    maxSegmentBytes: validators.maxSegmentBytes(options.maxSegmentBytes ?? DEFAULTS.maxSegmentBytes),
    mjpegIdleSeconds: validators.mjpegIdleSeconds(options.mjpegIdleSeconds ?? DEFAULTS.mjpegIdleSeconds),
    maxMjpegFrameBytes: validators.maxMjpegFrameBytes(options.maxMjpegFrameBytes ?? DEFAULTS.maxMjpegFrameBytes),
    maxStreams: validators.maxStreams(options.maxStreams ?? DEFAULTS.maxStreams),
    streamRetentionSeconds: validators.streamRetentionSeconds(options.streamRetentionSeconds ?? DEFAULTS.streamRetentionSeconds),
    streamTokens: options.streamTokens,
    webrtc: options.webrtc ?? DEFAULTS.webrtc,
    webrtcPort: validators.webrtcPort(options.webrtcPort ?? DEFAULTS.webrtcPort),
    webrtcHost: options.webrtcHost === undefined ? undefined : validators.webrtcHost(options.webrtcHost),
    maxWebrtcViewers: validators.maxWebrtcViewers(options.maxWebrtcViewers ?? DEFAULTS.maxWebrtcViewers),
    corsOrigin: cors === 'none' ? null : cors,
    webroot: resolve(validators.webroot(options.webroot ?? defaultWebroot())),
    logLevel: validators.logLevel(options.logLevel ?? DEFAULTS.logLevel),
    logger: options.logger,
  };
}
