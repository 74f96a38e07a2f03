// The MJPEG preview's options: one typed object, defaults in one place, and the parsers the CLI
// (commander) and API callers share. Messages name the flag and the value received.
import { OptionError } from '../errors.js';
import { parseSize } from '../options.js';

export interface MjpegOptions {
  /** `--mjpeg on|off`: `off` sends no preview at all (no connection, no ffmpeg). Default `true`. */
  enabled: boolean;
  /** `--mjpeg-fps`: most JPEGs per second taken from the processed frames, in (0, 60]. Default `10`. */
  fps: number;
  /** `--mjpeg-size WxH`: JPEG size; `undefined` keeps the frame size. Default `undefined`. */
  size: { width: number; height: number } | undefined;
  /** `--mjpeg-quality`: ffmpeg's `-q:v` for MJPEG, 2 (best, largest) to 31. Default `5`. */
  quality: number;
  /** How long the JPEG ffmpeg stays up, idle, after demand turns off; then it is stopped and
   * started again (in ~50 ms) when demand returns. Default `30000` ms. */
  idleStopMs: number;
}

export const DEFAULT_MJPEG_OPTIONS: Readonly<MjpegOptions> = Object.freeze({
  enabled: true,
  fps: 10,
  size: undefined,
  quality: 5,
  idleStopMs: 30_000,
});

const MAX_FPS = 60;

/** Parses `--mjpeg on|off`. */
export function parseMjpeg(value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const v = value.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new OptionError('--mjpeg', '`on` or `off`', value);
}

/** Parses `--mjpeg-fps <n>` (fractions allowed, e.g. `0.5` for one JPEG every two seconds). */
export function parseMjpegFps(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new OptionError('--mjpeg-fps', 'a positive number', value);
  if (n > MAX_FPS) throw new OptionError('--mjpeg-fps', `a positive number up to ${MAX_FPS}`, value);
  return n;
}

/** Parses `--mjpeg-size WxH` (even numbers, 16x16 to 7680x4320, as `--size`). */
export function parseMjpegSize(value: string): { width: number; height: number } {
  return parseSize(value, '--mjpeg-size');
}

/** Parses `--mjpeg-quality <2..31>`. */
export function parseMjpegQuality(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 2 || n > 31) throw new OptionError('--mjpeg-quality', 'an integer from 2 (best) to 31', value);
  return n;
}

/** Fills defaults and validates an API caller's options. */
export function resolveMjpegOptions(options: Partial<MjpegOptions> = {}): MjpegOptions {
  const idleStopMs = options.idleStopMs ?? DEFAULT_MJPEG_OPTIONS.idleStopMs;
  if (!Number.isFinite(idleStopMs) || idleStopMs < 0) throw new OptionError('idleStopMs', 'a number of milliseconds >= 0', idleStopMs);
  return {
    enabled: parseMjpeg(options.enabled ?? DEFAULT_MJPEG_OPTIONS.enabled),
    fps: parseMjpegFps(options.fps ?? DEFAULT_MJPEG_OPTIONS.fps),
    size: options.size === undefined ? undefined : parseMjpegSize(`${options.size.width}x${options.size.height}`),
    quality: parseMjpegQuality(options.quality ?? DEFAULT_MJPEG_OPTIONS.quality),
    idleStopMs,
  };
}
