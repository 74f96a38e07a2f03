import type { Box, RgbImage } from './types.js';

/** How a source frame maps onto the detector input. */
export interface DownscalePlan {
  srcWidth: number;
  srcHeight: number;
  /** Size of the RGB image handed to the detector. */
  width: number;
  height: number;
  /** Source pixels per detector pixel, to map boxes back: `xSrc = xDet * scaleX`. */
  scaleX: number;
  scaleY: number;
}

/** Keeps the aspect ratio; the longest side becomes `maxSide` (never upscales). */
export function planDownscale(srcWidth: number, srcHeight: number, maxSide: number): DownscalePlan {
  if (!(srcWidth > 0 && srcHeight > 0 && maxSide > 0)) {
    throw new RangeError(`invalid downscale ${srcWidth}x${srcHeight} -> ${maxSide}`);
  }
  const k = Math.min(1, maxSide / Math.max(srcWidth, srcHeight));
  const width = Math.max(1, Math.round(srcWidth * k));
  const height = Math.max(1, Math.round(srcHeight * k));
  return { srcWidth, srcHeight, width, height, scaleX: srcWidth / width, scaleY: srcHeight / height };
}

/** Byte length of a yuv420p frame (chroma planes round up for odd sizes). */
export function yuv420pSize(width: number, height: number): number {
  return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
}

export interface Downscaler {
  readonly plan: DownscalePlan;
  /** The reused output image; `run` overwrites it. */
  readonly output: RgbImage;
  /** yuv420p (BT.601 limited range) source frame -> RGB at the plan size, bilinear on luma. Allocates nothing. */
  run(yuv: Uint8Array): RgbImage;
}

/**
 * Builds a yuv420p -> RGB downscaler. Sampling tables are computed once here; `output` may be a view
 * on a SharedArrayBuffer so the worker reads the pixels without a copy.
 */
export function createDownscaler(plan: DownscalePlan, output: Uint8Array = new Uint8Array(plan.width * plan.height * 3)): Downscaler {
  const { srcWidth: sw, srcHeight: sh, width: dw, height: dh } = plan;
  if (output.length < dw * dh * 3) throw new RangeError('downscale output buffer too small');
  const cw = Math.ceil(sw / 2);
  const ch = Math.ceil(sh / 2);
  const xs = axisTable(dw, plan.scaleX, sw, cw);
  const ys = axisTable(dh, plan.scaleY, sh, ch);
  const frameSize = yuv420pSize(sw, sh);
  const uBase = sw * sh;
  const vBase = uBase + cw * ch;
  const image: RgbImage = { data: output, width: dw, height: dh };

  return {
    plan,
    output: image,
    run(yuv) {
      if (yuv.length < frameSize) throw new RangeError(`yuv420p frame has ${yuv.length} bytes, expected ${frameSize}`);
      let o = 0;
      for (let y = 0; y < dh; y++) {
        const row0 = ys.i0[y]! * sw;
        const row1 = ys.i1[y]! * sw;
        const fy = ys.f[y]!;
        const crow = ys.c[y]! * cw;
        for (let x = 0; x < dw; x++) {
          const x0 = xs.i0[x]!;
          const x1 = xs.i1[x]!;
          const fx = xs.f[x]!;
          const top = yuv[row0 + x0]! * (256 - fx) + yuv[row0 + x1]! * fx;
          const bottom = yuv[row1 + x0]! * (256 - fx) + yuv[row1 + x1]! * fx;
          const luma = (top * (256 - fy) + bottom * fy) >> 16;
          const ci = crow + xs.c[x]!;
          const c = 298 * (luma - 16) + 128;
          const d = yuv[uBase + ci]! - 128;
          const e = yuv[vBase + ci]! - 128;
          output[o++] = clamp((c + 409 * e) >> 8);
          output[o++] = clamp((c - 100 * d - 208 * e) >> 8);
          output[o++] = clamp((c + 516 * d) >> 8);
        }
      }
      return image;
    },
  };
}

/** Maps boxes from detector pixels back to source pixels, clipped to the source frame. */
export function toSourceBoxes(boxes: readonly Box[], plan: DownscalePlan): Box[] {
  const out: Box[] = [];
  for (const b of boxes) {
    const x0 = Math.max(0, b.x * plan.scaleX);
    const y0 = Math.max(0, b.y * plan.scaleY);
    const x1 = Math.min(plan.srcWidth, (b.x + b.w) * plan.scaleX);
    const y1 = Math.min(plan.srcHeight, (b.y + b.h) * plan.scaleY);
    if (x1 > x0 && y1 > y0) out.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0, score: b.score });
  }
  return out;
}

interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  /** Weight of `i1`, 0..256. */
  f: Int32Array;
  /** Chroma index (nearest). */
  c: Int32Array;
}

function axisTable(n: number, scale: number, srcLen: number, chromaLen: number): AxisTable {
  const t: AxisTable = { i0: new Int32Array(n), i1: new Int32Array(n), f: new Int32Array(n), c: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    const centre = (i + 0.5) * scale;
    const s = Math.min(srcLen - 1, Math.max(0, centre - 0.5));
    const i0 = Math.floor(s);
    t.i0[i] = i0;
    t.i1[i] = Math.min(srcLen - 1, i0 + 1);
    t.f[i] = Math.round((s - i0) * 256);
    t.c[i] = Math.min(chromaLen - 1, Math.floor(centre / 2));
  }
  return t;
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, v));
}
