// BlazeFace pre- and post-processing as plain functions on typed arrays (no tfjs): the letterbox
// into the model's square input, the anchor grid, box decoding and weighted non-max suppression.
import { correctBox, IDENTITY, type BoxCorrection } from './box-correction.js';
import { iou, type Box, type RgbImage } from './types.js';

/** One anchor centre in model-input pixels. */
export interface Anchor {
  x: number;
  y: number;
}

/**
 * MediaPipe's SSD anchors for the 256 px "back" BlazeFace: stride 16 with 2 anchors per cell,
 * then stride 32 with 6 (three layers merged), 16*16*2 + 8*8*6 = 896. Order matches the model's
 * outputs (the stride-16 head first).
 */
export function blazeFaceAnchors(inputSize: number): Anchor[] {
  const layers = [
    { stride: inputSize / 16, perCell: 2 },
    { stride: inputSize / 8, perCell: 6 },
  ];
  const anchors: Anchor[] = [];
  for (const { stride, perCell } of layers) {
    const cells = Math.ceil(inputSize / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) anchors.push({ x: stride * (gx + 0.5), y: stride * (gy + 0.5) });
      }
    }
  }
  return anchors;
}

/**
 * Writes `rgb` into the top-left of a square `side` x `side` float image scaled to [-1, 1] (the
 * model's input range), the rest black (-1). `rgb` must fit: its longest side at most `side`.
 */
export function letterbox(rgb: RgbImage, side: number, out: Float32Array = new Float32Array(side * side * 3)): Float32Array {
  if (rgb.width > side || rgb.height > side) throw new RangeError(`image ${rgb.width}x${rgb.height} does not fit in ${side}x${side}`);
  if (out.length < side * side * 3) throw new RangeError('letterbox output buffer too small');
  const src = rgb.data;
  const rowLen = rgb.width * 3;
  for (let y = 0; y < rgb.height; y++) {
    let i = y * rowLen;
    let o = y * side * 3;
    const end = i + rowLen;
    while (i < end) out[o++] = src[i++]! / 127.5 - 1;
    out.fill(-1, o, (y + 1) * side * 3);
  }
  out.fill(-1, rgb.height * side * 3, side * side * 3);
  return out;
}

export interface DecodeOptions {
  /** Model input side, px: raw offsets and sizes are in these pixels. */
  inputSize: number;
  minScore: number;
  /** Overlap above which candidates are merged into one face. Default `0.3` (MediaPipe's). */
  iouThreshold?: number;
  /** Model-input pixels -> output pixels (the letterbox scale); boxes are clipped to `clipWidth` x `clipHeight`. */
  scale: number;
  /** Applied to each merged box before clipping. Default none. */
  correction?: Readonly<BoxCorrection>;
  clipWidth: number;
  clipHeight: number;
}

/**
 * Turns raw outputs into face boxes, best first. `logits[i]` is anchor i's score before the
 * sigmoid; `regressors[i * stride ...]` holds its centre offset (dx, dy) and size (w, h) in
 * model-input pixels, then 6 keypoints we do not use.
 */
export function decodeBlazeFace(logits: Float32Array, regressors: Float32Array, stride: number, anchors: readonly Anchor[], options: DecodeOptions): Box[] {
  if (logits.length !== anchors.length || regressors.length !== anchors.length * stride) {
    throw new RangeError(`BlazeFace outputs do not match ${anchors.length} anchors`);
  }
  // Compare logits instead of running the sigmoid on all 896 anchors.
  const minLogit = Math.log(options.minScore / (1 - options.minScore));
  const candidates: Box[] = [];
  for (let i = 0; i < anchors.length; i++) {
    const logit = logits[i]!;
    if (!(logit >= minLogit)) continue;
    const r = i * stride;
    const cx = regressors[r]! + anchors[i]!.x;
    const cy = regressors[r + 1]! + anchors[i]!.y;
    const w = regressors[r + 2]!;
    const h = regressors[r + 3]!;
    if (!(w > 0 && h > 0)) continue;
    candidates.push({ x: cx - w / 2, y: cy - h / 2, w, h, score: 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, logit)))) });
  }
  const merged = weightedNms(candidates, options.iouThreshold ?? 0.3);
  const out: Box[] = [];
  for (const m of merged) {
    const scaled = { x: m.x * options.scale, y: m.y * options.scale, w: m.w * options.scale, h: m.h * options.scale, score: m.score };
    const b = correctBox(scaled, options.correction ?? IDENTITY, options.clipWidth, options.clipHeight);
    if (b.w > 0 && b.h > 0) out.push(b);
  }
  return out;
}

/**
 * MediaPipe's weighted NMS: each group of boxes overlapping the best remaining one is replaced by
 * their score-weighted mean (keeping the best score), which steadies boxes from frame to frame.
 */
export function weightedNms(boxes: readonly Box[], iouThreshold: number): Box[] {
  let rest = [...boxes].sort((a, b) => b.score - a.score);
  const out: Box[] = [];
  while (rest.length > 0) {
    const best = rest[0]!;
    const group: Box[] = [];
    const keep: Box[] = [];
    for (const b of rest) (iou(best, b) > iouThreshold ? group : keep).push(b);
    let sw = 0;
    let x0 = 0;
    let y0 = 0;
    let x1 = 0;
    let y1 = 0;
    for (const b of group) {
      sw += b.score;
      x0 += b.x * b.score;
      y0 += b.y * b.score;
      x1 += (b.x + b.w) * b.score;
      y1 += (b.y + b.h) * b.score;
    }
    out.push({ x: x0 / sw, y: y0 / sw, w: (x1 - x0) / sw, h: (y1 - y0) / sw, score: best.score });
    rest = keep;
  }
  return out;
}
