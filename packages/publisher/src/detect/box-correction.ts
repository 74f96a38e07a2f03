import type { Box } from './types.js';

/** Maps a raw box onto the face: centre shift as a fraction of the raw size, then a size factor. */
export interface BoxCorrection {
  dx: number;
  dy: number;
  sw: number;
  sh: number;
}

/** No correction. */
export const IDENTITY: Readonly<BoxCorrection> = Object.freeze({ dx: 0, dy: 0, sw: 1, sh: 1 });

/** Applies a correction and clips the result to the image. */
export function correctBox(b: Box, c: Readonly<BoxCorrection>, width: number, height: number): Box {
  const cx = b.x + b.w / 2 + c.dx * b.w;
  const cy = b.y + b.h / 2 + c.dy * b.h;
  const w = b.w * c.sw;
  const h = b.h * c.sh;
  const x0 = Math.max(0, cx - w / 2);
  const y0 = Math.max(0, cy - h / 2);
  const x1 = Math.min(width, cx + w / 2);
  const y1 = Math.min(height, cy + h / 2);
  return { x: x0, y: y0, w: Math.max(0, x1 - x0), h: Math.max(0, y1 - y0), score: b.score };
}
