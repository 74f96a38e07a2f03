// What every detector and every consumer of its boxes share: the box, the image it is found in,
// the detector interface, and IoU. No imports of detector implementations, so no module that
// needs a `Box` depends on the registry (detector.ts) that loads them.
import type { DetectorName } from './options.js';

/** A face box; coordinates are pixels of the image it was found in, `score` in [0, 1]. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
}

/** Packed RGB, 3 bytes per pixel, row-major, no padding. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface Detector {
  readonly name: DetectorName;
  /** Longest side, in pixels, that frames are downscaled to before `detect`. */
  readonly inputSize: number;
  /** Boxes in `rgb` pixel space, best first; scores below the configured minimum are dropped. */
  detect(rgb: RgbImage): Promise<Box[]>;
  /** Live tensors in this thread's tfjs engine (for leak tests and diagnostics). */
  numTensors(): number;
  /** Frees the weights; the detector cannot be used afterwards. */
  dispose(): void;
}

/** Intersection over union of two boxes. */
export function iou(a: Omit<Box, 'score'>, b: Omit<Box, 'score'>): number {
  const ix = Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  const inter = ix * iy;
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
