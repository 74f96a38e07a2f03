import type { Box } from './types.js';
import { forEachGlyphDot, GLYPH_HEIGHT, textCells } from './font.js';

/** A colour as yuv420p (BT.601 limited range) sample values. */
export interface YuvColor {
  y: number;
  u: number;
  v: number;
}

/** Pure green (0, 255, 0) in BT.601 limited range: stands out on skin and most backgrounds. */
export const BOX_GREEN: Readonly<YuvColor> = Object.freeze({ y: 145, u: 54, v: 34 });

export interface DrawOptions {
  /** Line width in pixels, drawn inward from the box edge. Default `3`. */
  thickness?: number;
  /** Default `BOX_GREEN`. */
  color?: YuvColor;
  /** Write the score as a two-digit percentage above the box. Default `false`. */
  drawScores?: boolean;
}

export interface YuvImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Draws box outlines (and optional scores) into a yuv420p image in place, luma and chroma, clipped to the image. */
export function drawBoxes(image: YuvImage, boxes: readonly Box[], options: DrawOptions = {}): void {
  const thickness = Math.max(1, Math.round(options.thickness ?? 3));
  const color = options.color ?? BOX_GREEN;
  for (const box of boxes) {
    const x0 = Math.round(box.x);
    const y0 = Math.round(box.y);
    const x1 = Math.round(box.x + box.w);
    const y1 = Math.round(box.y + box.h);
    if (x1 <= x0 || y1 <= y0) continue;
    const t = Math.min(thickness, Math.ceil((x1 - x0) / 2), Math.ceil((y1 - y0) / 2));
    fillRect(image, x0, y0, x1, y0 + t, color);
    fillRect(image, x0, y1 - t, x1, y1, color);
    fillRect(image, x0, y0 + t, x0 + t, y1 - t, color);
    fillRect(image, x1 - t, y0 + t, x1, y1 - t, color);
    if (options.drawScores) drawScore(image, box, x0, y0, y1, thickness, color);
  }
}

/** Fills [x0, x1) x [y0, y1) in all three planes (chroma covers every touched 2x2 block). */
export function fillRect(image: YuvImage, x0: number, y0: number, x1: number, y1: number, color: YuvColor): void {
  const { data, width, height } = image;
  const ax = Math.max(0, x0);
  const ay = Math.max(0, y0);
  const bx = Math.min(width, x1);
  const by = Math.min(height, y1);
  if (bx <= ax || by <= ay) return;
  for (let y = ay; y < by; y++) data.fill(color.y, y * width + ax, y * width + bx);
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const uBase = width * height;
  const vBase = uBase + cw * ch;
  const cx0 = ax >> 1;
  const cx1 = Math.min(cw, (bx + 1) >> 1);
  for (let cy = ay >> 1; cy < Math.min(ch, (by + 1) >> 1); cy++) {
    data.fill(color.u, uBase + cy * cw + cx0, uBase + cy * cw + cx1);
    data.fill(color.v, vBase + cy * cw + cx0, vBase + cy * cw + cx1);
  }
}

// The label sits just above the box, or just inside its top edge when the box touches the top.
function drawScore(image: YuvImage, box: Box, x0: number, y0: number, y1: number, thickness: number, color: YuvColor): void {
  const text = String(Math.min(99, Math.max(0, Math.round(box.score * 100)))).padStart(2, '0');
  const cell = Math.max(2, thickness);
  const labelHeight = GLYPH_HEIGHT * cell;
  const top = y0 - labelHeight - cell >= 0 ? y0 - labelHeight - cell : Math.min(y0 + thickness + cell, y1);
  if (textCells(text) === 0) return;
  forEachGlyphDot(text, (col, row) => {
    const x = x0 + col * cell;
    const y = top + row * cell;
    fillRect(image, x, y, x + cell, y + cell, color);
  });
}
