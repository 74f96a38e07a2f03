import { describe, expect, it } from 'vitest';
import { restartDelay } from '../../src/pipeline/capture-supervisor.js';
import { createFrameSplitter } from '../../src/pipeline/frames.js';
import type { Frame } from '../../src/pipeline/stage.js';

describe('restartDelay', () => {
  it('doubles from the first delay up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((n) => restartDelay(n, 500, 5000))).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe('FrameSplitter.discardPartial', () => {
  it('starts the next capture on a frame boundary after one died mid-frame', () => {
    const frames: number[] = [];
    // 16x16 I420 = 384 bytes per frame.
    const splitter = createFrameSplitter({ width: 16, height: 16, onFrame: (f: Frame) => {
      frames.push(f.data[0]!);
      splitter.release(f);
    } });
    splitter.write(Buffer.alloc(100, 1), () => {});
    splitter.discardPartial();
    splitter.write(Buffer.alloc(384, 2), () => {});
    expect(frames).toEqual([2]);
  });
});
