import { OptionError } from '../errors.js';

/** Detector names accepted by `--detector`. */
export const DETECTOR_NAMES = ['tiny', 'ssd', 'blazeface'] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];
/** `off` disables detection: no worker, no boxes, no detections file. */
export type DetectorChoice = DetectorName | 'off';

export interface DetectOptions {
  /**
   * `blazeface`: MediaPipe BlazeFace (full-range 256 px model from `@vladmandic/human`), the default:
     21/22 sample faces, no false box on the test pattern, ~16 ms per detection here;
   * `ssd`: face-api SSD MobileNet v1: 22/22 sample faces, no false box on the test pattern, but
     ~200 ms per detection (5 Hz at best on two cores);
   * `tiny`: face-api TinyFaceDetector, ~45 ms, finds 21/22 sample faces, but it reports
     confident (0.99) faces on ffmpeg's testsrc2 colour bars, so it is opt-in;
   * `off`: no detection. Default `blazeface`.
   */
  detector: DetectorChoice;
  /** Boxes with a lower score are dropped, in [0, 1]. Default `0.5`. */
  minScore: number;
  /** Upper bound on detections per second; the detector also never runs more than one frame at a time. Default `15`. */
  detectFps: number;
  /** Box line width in source pixels, 1..32. Default `3`. */
  boxThickness: number;
  /** Draw the score (two digits, percent) above each box. Default `false`. */
  drawScores: boolean;
  /** JSON Lines file receiving one record per detector result, or `undefined` for none. Default `undefined`. */
  detectionsFile: string | undefined;
}

export const DEFAULT_DETECT_OPTIONS: Readonly<DetectOptions> = Object.freeze({
  detector: 'blazeface',
  minScore: 0.5,
  detectFps: 15,
  boxThickness: 3,
  drawScores: false,
  detectionsFile: undefined,
});

/** Parses `--detector <name|off>`. */
export function parseDetector(value: string): DetectorChoice {
  const v = value.trim().toLowerCase();
  if (v === 'off' || (DETECTOR_NAMES as readonly string[]).includes(v)) return v as DetectorChoice;
  throw new OptionError('--detector', `one of ${[...DETECTOR_NAMES, 'off'].map((n) => `\`${n}\``).join(', ')}`, value);
}

/** Parses `--min-score <0..1>`. */
export function parseMinScore(value: string | number): number {
  const n = toNumber(value);
  if (n === undefined || n < 0 || n > 1) throw new OptionError('--min-score', 'a number in [0, 1]', value);
  return n;
}

/** Parses `--detect-fps <max>` (a positive number, fractions allowed, at most 120). */
export function parseDetectFps(value: string | number): number {
  const n = toNumber(value);
  if (n === undefined || n <= 0 || n > 120) throw new OptionError('--detect-fps', 'a number in (0, 120]', value);
  return n;
}

/** Parses `--box-thickness <px>`. */
export function parseBoxThickness(value: string | number): number {
  const n = toNumber(value);
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > 32) {
    throw new OptionError('--box-thickness', 'an integer in [1, 32]', value);
  }
  return n;
}

/** Parses `--detections FILE`. */
export function parseDetectionsFile(value: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new OptionError('--detections', 'a file path', value);
  return value;
}

/** Fills defaults and validates a partial options object (for programmatic callers; the CLI uses the parsers). */
export function resolveDetectOptions(partial: Partial<DetectOptions> = {}): DetectOptions {
  const o = { ...DEFAULT_DETECT_OPTIONS, ...stripUndefined(partial) };
  return {
    detector: parseDetector(String(o.detector)),
    minScore: parseMinScore(o.minScore),
    detectFps: parseDetectFps(o.detectFps),
    boxThickness: parseBoxThickness(o.boxThickness),
    drawScores: Boolean(o.drawScores),
    detectionsFile: partial.detectionsFile === undefined ? undefined : parseDetectionsFile(partial.detectionsFile),
  };
}

function toNumber(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
