import { describe, expect, it } from 'vitest';
import { blazeFaceAnchors, decodeBlazeFace, letterbox, weightedNms } from '../../src/detect/blazeface-decode.js';

const STRIDE = 16;
const anchors = blazeFaceAnchors(256);

/** Raw outputs with every anchor at a very low score, except those given. */
function outputs(hits: Array<{ anchor: number; logit: number; dx: number; dy: number; w: number; h: number }>) {
  const logits = new Float32Array(anchors.length).fill(-20);
  const regressors = new Float32Array(anchors.length * STRIDE);
  for (const { anchor, logit, dx, dy, w, h } of hits) {
    logits[anchor] = logit;
    regressors.set([dx, dy, w, h], anchor * STRIDE);
  }
  return { logits, regressors };
}

const decodeOptions = { inputSize: 256, minScore: 0.5, scale: 1, clipWidth: 256, clipHeight: 192 };

describe('blazeFaceAnchors', () => {
  it('lays out 16x16x2 anchors at stride 16, then 8x8x6 at stride 32', () => {
    expect(anchors).toHaveLength(896);
    expect(anchors.slice(0, 3)).toEqual([
      { x: 8, y: 8 },
      { x: 8, y: 8 },
      { x: 24, y: 8 },
    ]);
    expect(anchors[511]).toEqual({ x: 248, y: 248 });
    expect(anchors.slice(512, 519)).toEqual([...Array(6).fill({ x: 16, y: 16 }), { x: 48, y: 16 }]);
    expect(anchors[895]).toEqual({ x: 240, y: 240 });
  });
});

describe('letterbox', () => {
  it('scales pixels to [-1, 1] in the top-left corner and fills the rest with -1', () => {
    const rgb = { data: Uint8Array.from([0, 255, 51, 255, 0, 0]), width: 2, height: 1 };
    const out = letterbox(rgb, 3);
    expect(Array.from(out.subarray(0, 6)).map((v) => +v.toFixed(3))).toEqual([-1, 1, -0.6, 1, -1, -1]);
    expect(Array.from(out.subarray(6))).toEqual(Array(21).fill(-1));
  });

  it('overwrites a reused buffer completely', () => {
    const out = new Float32Array(27).fill(7);
    letterbox({ data: new Uint8Array(12).fill(255), width: 2, height: 2 }, 3, out);
    expect(out.filter((v) => v === 1)).toHaveLength(12);
    expect(out.filter((v) => v === -1)).toHaveLength(15);
  });

  it('rejects an image larger than the square', () => {
    expect(() => letterbox({ data: new Uint8Array(4 * 3), width: 4, height: 1 }, 3)).toThrow(RangeError);
  });
});

describe('decodeBlazeFace', () => {
  it('places a box at anchor + offset with the regressed size, scaled to the image', () => {
    // anchor 34 = stride-16 cell (1, 1): centre (24, 24)
    const { logits, regressors } = outputs([{ anchor: 34, logit: 2, dx: 6, dy: -4, w: 20, h: 30 }]);
    const [box, ...rest] = decodeBlazeFace(logits, regressors, STRIDE, anchors, { ...decodeOptions, scale: 2, clipWidth: 512, clipHeight: 384 });
    expect(rest).toEqual([]);
    expect(box!.x).toBeCloseTo((30 - 10) * 2);
    expect(box!.y).toBeCloseTo((20 - 15) * 2);
    expect(box!.w).toBeCloseTo(40);
    expect(box!.h).toBeCloseTo(60);
    expect(box!.score).toBeCloseTo(1 / (1 + Math.exp(-2)));
  });

  it('drops anchors under the minimum score and boxes outside the image', () => {
    const { logits, regressors } = outputs([
      { anchor: 34, logit: -0.1, dx: 0, dy: 0, w: 20, h: 20 }, // score 0.475
      { anchor: 500, logit: 3, dx: 0, dy: 100, w: 10, h: 10 }, // below the 192 px image
    ]);
    expect(decodeBlazeFace(logits, regressors, STRIDE, anchors, decodeOptions)).toEqual([]);
  });

  it('clips to the image and applies a box correction first', () => {
    const { logits, regressors } = outputs([{ anchor: 0, logit: 4, dx: 0, dy: 0, w: 20, h: 20 }]); // (-2, -2) .. (18, 18)
    const [box] = decodeBlazeFace(logits, regressors, STRIDE, anchors, { ...decodeOptions, correction: { dx: 0, dy: 0.5, sw: 1, sh: 1 } });
    const rounded = Object.fromEntries(Object.entries(box!).map(([k, v]) => [k, +v.toFixed(6)]));
    expect(rounded).toMatchObject({ x: 0, y: 8, w: 18, h: 20 });
  });

  it('merges the overlapping anchors of one face into one box, best first', () => {
    const { logits, regressors } = outputs([
      { anchor: 34, logit: 1, dx: 0, dy: 0, w: 20, h: 20 },
      { anchor: 35, logit: 3, dx: 2, dy: 0, w: 20, h: 20 },
      { anchor: 300, logit: 2, dx: 0, dy: 0, w: 16, h: 16 },
    ]);
    const boxes = decodeBlazeFace(logits, regressors, STRIDE, anchors, decodeOptions);
    expect(boxes).toHaveLength(2);
    expect(boxes[0]!.score).toBeCloseTo(1 / (1 + Math.exp(-3)));
    expect(boxes[0]!.x).toBeGreaterThan(14); // pulled towards the better anchor's x = 16
    expect(boxes[0]!.x).toBeLessThan(16);
    expect(boxes[1]!.score).toBeCloseTo(1 / (1 + Math.exp(-2)));
  });

  it('rejects outputs that do not match the anchors', () => {
    expect(() => decodeBlazeFace(new Float32Array(10), new Float32Array(160), STRIDE, anchors, decodeOptions)).toThrow(RangeError);
  });
});

describe('weightedNms', () => {
  it('averages a group by score and keeps separate faces apart', () => {
    const out = weightedNms(
      [
        { x: 0, y: 0, w: 10, h: 10, score: 0.5 },
        { x: 2, y: 0, w: 10, h: 10, score: 1.5 },
        { x: 50, y: 50, w: 10, h: 10, score: 0.9 },
      ],
      0.3,
    );
    expect(out).toEqual([
      { x: 1.5, y: 0, w: 10, h: 10, score: 1.5 },
      { x: 50, y: 50, w: 10, h: 10, score: 0.9 },
    ]);
  });
});
