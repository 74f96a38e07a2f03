// One options object for the publisher, its defaults in one place, and the validators that both
// the CLI (through commander parsers) and `createPublisher` (for API callers) go through.
import { DEFAULT_STREAM, isStreamName, MAX_SEGMENT_SECONDS } from '@hls-live/protocol';
import { OptionError } from './errors.js';
import type { SessionIngest } from './pipeline/ingest.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** What the caller may pass; everything has a default. */
export interface PublisherOptions {
  /** Camera: an index (`0`) or, per platform, a device path (`/dev/video2`) or name. Default `0` when no `input`. */
  device?: string;
  /** Another source: `test` (ffmpeg's test pattern), a video or image file (looped), an `rtsp://` URL, or
   * `whip` (browsers and OBS publish to `whip`, a WHIP server: whip/server.ts). */
  input?: string;
  /** The WHIP server publishers reach when `input` is `whip`; the caller creates, listens and closes it. */
  whip?: SessionIngest;
  /** Base URL of the streamer. Default `http://127.0.0.1:8080`. */
  streamer?: string;
  /** The stream published to: 1-64 characters of [a-z0-9_-], starting with a letter or digit. Default `default`. */
  stream?: string;
  /** Frame width in pixels (even). Default 640. */
  width?: number;
  /** Frame height in pixels (even). Default 480. */
  height?: number;
  /** Frames per second of capture and output. Default 30. */
  fps?: number;
  /** Segment length in seconds, in (0, 30]. Default 2. */
  segmentSeconds?: number;
  /**
   * Low-Latency HLS part length in seconds, 0.1 to 1: a whole number of frames that divides the
   * segment (at 30 fps and 2 s segments: 0.1, 0.2, 0.333333, 0.4, 0.5, 1). Default off (whole segments only).
   */
  partSeconds?: number | undefined;
  /** Video bitrate in bits per second. Default 1 500 000. */
  bitrate?: number;
  /** Bearer token for the streamer's publish API. Default none. */
  token?: string;
  /** Segments held while the streamer is unreachable before the oldest is dropped. Default 10. */
  queue?: number;
  /** Platform whose capture input to use. Default `process.platform`. */
  platform?: NodeJS.Platform;
  /** ffmpeg binary. Default: `FFMPEG_PATH`, else `ffmpeg` on PATH, else `@ffmpeg-installer/ffmpeg`. */
  ffmpegPath?: string;
  /** Folder in which the private segment folder is made. Default `os.tmpdir()`. */
  tempDir?: string;
  /** Upload retry backoff: first delay and cap in milliseconds. Default 250 and 4000. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** An upload not answered within this many milliseconds is abandoned and retried. Default 15 000. */
  uploadTimeoutMs?: number;
  /** Encoder deaths within `encoderFailureWindowMs` that end the publisher (each one before is restarted). Default 5. */
  encoderFailures?: number;
  /** Default 60 000 ms. */
  encoderFailureWindowMs?: number;
}

export type Source =
  | { kind: 'device'; device: string }
  | { kind: 'test' }
  /** `live`: a named pipe (FIFO) another program writes as it goes; set by resolveSource. */
  | { kind: 'file'; path: string; live?: boolean }
  | { kind: 'rtsp'; url: string }
  | { kind: 'whip'; ingest: SessionIngest };

export interface ResolvedOptions {
  source: Source;
  streamer: string;
  stream: string;
  width: number;
  height: number;
  fps: number;
  segmentSeconds: number;
  /** Exact part length (a whole number of frames), or undefined without parts. */
  partSeconds: number | undefined;
  bitrate: number;
  token: string | undefined;
  queue: number;
  platform: NodeJS.Platform;
  ffmpegPath: string | undefined;
  tempDir: string | undefined;
  retryMinMs: number;
  retryMaxMs: number;
  uploadTimeoutMs: number;
  encoderFailures: number;
  encoderFailureWindowMs: number;
}

export const DEFAULTS = {
  /** `--idle-seconds` of capture on demand. */
  idleSeconds: 30,
  device: '0',
  streamer: 'http://127.0.0.1:8080',
  width: 640,
  height: 480,
  fps: 30,
  segmentSeconds: 2,
  bitrate: 1_500_000,
  queue: 10,
  retryMinMs: 250,
  retryMaxMs: 4000,
  uploadTimeoutMs: 15_000,
  encoderFailures: 5,
  encoderFailureWindowMs: 60_000,
} as const;

export function parsePositiveInt(option: string, value: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new OptionError(option, max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`, value);
  }
  return n;
}

export function parseFps(value: string): number {
  return parsePositiveInt('--fps', value, 120);
}

export function parseQueue(value: string): number {
  return parsePositiveInt('--queue', value, 10_000);
}

// libx264 with yuv420p needs even dimensions, so odd ones are refused here rather than by ffmpeg.
export function parseSize(value: string, option = '--size'): { width: number; height: number } {
  const m = /^(\d{1,5})x(\d{1,5})$/i.exec(value.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 16 || height < 16 || width > 7680 || height > 4320 || width % 2 || height % 2) {
    throw new OptionError(option, 'WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`)', value);
  }
  return { width, height };
}

export function parseSegmentSeconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  // The streamer accepts durations in (0, MAX_SEGMENT_SECONDS]; below 0.5 s HLS makes no sense.
  if (!(n >= 0.5 && n <= MAX_SEGMENT_SECONDS)) throw new OptionError('--segment-seconds', `a number of seconds from 0.5 to ${MAX_SEGMENT_SECONDS}`, value);
  return n;
}

export function parsePartSeconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= 0.1 && n <= 1)) throw new OptionError('--part-seconds', 'a number of seconds from 0.1 to 1', value);
  return n;
}

/**
 * Parts are cut on frame boundaries, so a part is rounded to whole frames (0.33 s at 30 fps is
 * 10 frames, 0.333333 s) and must divide the segment's frames exactly; returns the exact length.
 */
export function checkPartSeconds(partSeconds: number, segmentSeconds: number, fps: number): number {
  const partFrames = Math.round(partSeconds * fps);
  const segmentFrames = Math.round(segmentSeconds * fps);
  const exact = partFrames / fps;
  if (!(partSeconds >= 0.1 && partSeconds <= 1) || partFrames < 1 || Math.abs(partSeconds * fps - partFrames) > 0.15 || segmentFrames % partFrames !== 0) {
    const fits = [];
    for (let frames = 1; frames <= segmentFrames; frames++) {
      const seconds = frames / fps;
      if (segmentFrames % frames === 0 && seconds >= 0.1 && seconds <= 1) fits.push(Number(seconds.toFixed(6)));
    }
    throw new OptionError(
      '--part-seconds',
      `a whole number of frames at ${fps} fps that divides the ${segmentSeconds} s segment (${fits.length ? `one of ${fits.join(', ')}` : 'none fits: change --fps or --segment-seconds'})`,
      partSeconds,
    );
  }
  return exact;
}

export function parseBitrate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(value.trim());
  const scale = m?.[2]?.toLowerCase() === 'm' ? 1e6 : m?.[2] ? 1e3 : 1;
  const bits = m ? Math.round(Number(m[1]) * scale) : NaN;
  if (!(bits >= 10_000 && bits <= 100_000_000)) {
    throw new OptionError('--bitrate', 'a bitrate from 10k to 100M (e.g. `1500k`, `2M`)', value);
  }
  return bits;
}

export function parseStream(value: string): string {
  if (!isStreamName(value)) throw new OptionError('--stream', '1-64 characters of [a-z0-9_-] starting with a letter or digit (e.g. `door`)', value);
  return value;
}

/** `--idle-seconds`: how long capture on demand runs on after the streamer says nobody watches. */
export function parseIdleSeconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 86_400)) throw new OptionError('--idle-seconds', 'a number of seconds from 1 to 86400', value);
  return n;
}

export function parseStreamerUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new OptionError('--streamer', 'an http:// or https:// URL (e.g. `http://127.0.0.1:8080`)', value);
  }
  return url.href.replace(/\/+$/, '');
}

export function parseToken(value: string): string {
  if (!/^[\x21-\x7e]{1,512}$/.test(value)) throw new OptionError('--token', 'printable characters without spaces', value);
  return value;
}

export function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new OptionError('--log-level', `one of ${LOG_LEVELS.join(', ')}`, value);
  return value as LogLevel;
}

export function parseSource(device: string | undefined, input: string | undefined, whip?: SessionIngest): Source {
  if (device !== undefined && input !== undefined) {
    throw new OptionError('--input', 'left out when `--device` is given (pick one source)', input);
  }
  if (input === undefined) {
    const d = (device ?? DEFAULTS.device).trim();
    if (!d) throw new OptionError('--device', 'a camera index, path or name', device);
    return { kind: 'device', device: d };
  }
  if (input === 'test') return { kind: 'test' };
  if (input === 'whip') {
    if (!whip) throw new OptionError('--input', '`whip` only with a WHIP server (the `whip` option)', input);
    return { kind: 'whip', ingest: whip };
  }
  if (/^rtsps?:\/\/[^\s]+$/i.test(input)) return { kind: 'rtsp', url: input };
  if (!input.trim()) throw new OptionError('--input', '`test`, a file or an rtsp:// URL', input);
  return { kind: 'file', path: input };
}

function check<T>(option: string, value: T | undefined, fallback: T, ok: (v: T) => boolean, expected: string): T {
  if (value === undefined) return fallback;
  if (!ok(value)) throw new OptionError(option, expected, value);
  return value;
}

const isInt = (min: number, max: number) => (v: number) => Number.isInteger(v) && v >= min && v <= max;

/** Merges defaults and validates options given through the API (the CLI has already parsed strings). */
export function resolveOptions(options: PublisherOptions = {}): ResolvedOptions {
  const width = check('--size', options.width, DEFAULTS.width, (v) => isInt(16, 7680)(v) && v % 2 === 0, 'an even width from 16 to 7680');
  const height = check('--size', options.height, DEFAULTS.height, (v) => isInt(16, 4320)(v) && v % 2 === 0, 'an even height from 16 to 4320');
  const segmentSeconds = check(
    '--segment-seconds',
    options.segmentSeconds,
    DEFAULTS.segmentSeconds,
    (v) => v >= 0.5 && v <= MAX_SEGMENT_SECONDS,
    `a number of seconds from 0.5 to ${MAX_SEGMENT_SECONDS}`,
  );
  const fps = check('--fps', options.fps, DEFAULTS.fps, isInt(1, 120), 'an integer from 1 to 120');
  return {
    source: parseSource(options.device, options.input, options.whip),
    streamer: options.streamer === undefined ? DEFAULTS.streamer : parseStreamerUrl(options.streamer),
    stream: options.stream === undefined ? DEFAULT_STREAM : parseStream(options.stream),
    width,
    height,
    fps,
    segmentSeconds,
    partSeconds: options.partSeconds === undefined ? undefined : checkPartSeconds(options.partSeconds, segmentSeconds, fps),
    bitrate: check('--bitrate', options.bitrate, DEFAULTS.bitrate, isInt(10_000, 100_000_000), 'a bitrate from 10k to 100M'),
    token: options.token === undefined ? undefined : parseToken(options.token),
    queue: check('--queue', options.queue, DEFAULTS.queue, isInt(1, 10_000), 'an integer from 1 to 10000'),
    platform: options.platform ?? process.platform,
    ffmpegPath: options.ffmpegPath,
    tempDir: options.tempDir,
    retryMinMs: check('retryMinMs', options.retryMinMs, DEFAULTS.retryMinMs, isInt(1, 60_000), 'a delay in ms'),
    retryMaxMs: check('retryMaxMs', options.retryMaxMs, DEFAULTS.retryMaxMs, isInt(1, 600_000), 'a delay in ms'),
    uploadTimeoutMs: check('uploadTimeoutMs', options.uploadTimeoutMs, DEFAULTS.uploadTimeoutMs, isInt(100, 600_000), 'a timeout in ms from 100 to 600000'),
    encoderFailures: check('encoderFailures', options.encoderFailures, DEFAULTS.encoderFailures, isInt(1, 1000), 'an integer from 1 to 1000'),
    encoderFailureWindowMs: check(
      'encoderFailureWindowMs',
      options.encoderFailureWindowMs,
      DEFAULTS.encoderFailureWindowMs,
      isInt(1, 3_600_000),
      'a window in ms',
    ),
  };
}
