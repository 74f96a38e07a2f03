import { describe, expect, it } from 'vitest';
import { BOX_GREEN, drawBoxes } from '../../src/detect/draw.js';

const W = 64;
const H = 48;
const CW = W / 2;
const U = W * H;
const V = U + CW * (H / 2);

function grey(): Uint8Array {
  const data = new Uint8Array(W * H * 1.5);
  data.fill(100, 0, U);
  data.fill(128, U);
  return data;
}
const y = (d: Uint8Array, x: number, row: number) => d[row * W + x];
const u = (d: Uint8Array, x: number, row: number) => d[U + (row >> 1) * CW + (x >> 1)];
const v = (d: Uint8Array, x: number, row: number) => d[V + (row >> 1) * CW + (x >> 1)];

describe('drawBoxes', () => {
  it('paints the box edges in Y, U and V and leaves the rest alone', () => {
    const data = grey();
    drawBoxes({ data, width: W, height: H }, [{ x: 10, y: 8, w: 20, h: 16, score: 0.9 }], { thickness: 2 });
    for (const [px, py] of [
      [10, 8],
      [11, 9],
      [29, 8],
      [10, 23],
      [29, 23],
      [20, 8],
      [10, 15],
      [28, 15],
      [20, 22],
    ] as const) {
      expect([y(data, px, py), u(data, px, py), v(data, px, py)], `edge ${px},${py}`).toEqual([BOX_GREEN.y, BOX_GREEN.u, BOX_GREEN.v]);
    }
    // inside the box (past the 2 px line) and outside it
    for (const [px, py] of [
      [20, 15],
      [14, 12],
      [5, 5],
      [40, 30],
      [31, 8],
      [20, 26],
    ] as const) {
      expect([y(data, px, py), u(data, px, py), v(data, px, py)], `away ${px},${py}`).toEqual([100, 128, 128]);
    }
    // luma line is exactly `thickness` wide
    expect(y(data, 12, 15)).toBe(100);
    expect(y(data, 11, 15)).toBe(BOX_GREEN.y);
  });

  it('clips boxes that cross the borders and ignores boxes outside', () => {
    const data = grey();
    drawBoxes(
      { data, width: W, height: H },
      [
        { x: -10, y: -10, w: 30, h: 30, score: 1 },
        { x: 50, y: 40, w: 40, h: 40, score: 1 },
        { x: 200, y: 200, w: 10, h: 10, score: 1 },
      ],
      { thickness: 3 },
    );
    expect(y(data, 19, 0)).toBe(BOX_GREEN.y); // right edge of the first box reaches the top row
    expect(y(data, 0, 19)).toBe(BOX_GREEN.y); // bottom edge reaches column 0
    expect(y(data, 50, 47)).toBe(BOX_GREEN.y); // second box's left edge runs to the last row
    expect(y(data, 63, 40)).toBe(BOX_GREEN.y); // and its top edge to the last column
    expect(y(data, 5, 5)).toBe(100);
    expect(y(data, 60, 45)).toBe(100);
    expect(data.length).toBe(W * H * 1.5); // nothing written past the planes
    expect(data[data.length - 1]).toBe(128);
  });

  it('draws a score label above the box when asked', () => {
    const plain = grey();
    const labelled = grey();
    const box = { x: 20, y: 20, w: 20, h: 20, score: 0.87 };
    drawBoxes({ data: plain, width: W, height: H }, [box], { thickness: 2 });
    drawBoxes({ data: labelled, width: W, height: H }, [box], { thickness: 2, drawScores: true });
    let changedAbove = 0;
    for (let row = 0; row < 20; row++) for (let x = 0; x < W; x++) if (labelled[row * W + x] !== plain[row * W + x]) changedAbove++;
    expect(changedAbove).toBeGreaterThan(20);
  });
});
