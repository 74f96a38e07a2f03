import { describe, expect, it } from 'vitest';
import { createDownscaler, planDownscale, toSourceBoxes } from '../../src/detect/downscale.js';
import { testPatternFrames } from './media.js';
import { execFileSync } from 'node:child_process';

describe('planDownscale', () => {
  it('keeps the aspect ratio and never upscales', () => {
    expect(planDownscale(640, 480, 448)).toMatchObject({ width: 448, height: 336 });
    expect(planDownscale(480, 640, 448)).toMatchObject({ width: 336, height: 448 });
    expect(planDownscale(320, 240, 448)).toMatchObject({ width: 320, height: 240, scaleX: 1, scaleY: 1 });
  });

  it('maps boxes back to source pixels, clipped', () => {
    const plan = planDownscale(1280, 720, 640);
    expect(toSourceBoxes([{ x: 10, y: 20, w: 30, h: 40, score: 0.5 }], plan)).toEqual([{ x: 20, y: 40, w: 60, h: 80, score: 0.5 }]);
    expect(toSourceBoxes([{ x: -5, y: 350, w: 20, h: 40, score: 1 }], plan)).toEqual([{ x: 0, y: 700, w: 30, h: 20, score: 1 }]);
  });
});

describe('createDownscaler', () => {
  it('converts BT.601 limited-range colours', () => {
    const plan = planDownscale(4, 2, 4);
    const yuv = new Uint8Array([145, 145, 235, 235, 145, 145, 235, 235, 54, 128, 34, 128]);
    expect(Array.from(createDownscaler(plan).run(yuv).data)).toEqual([
      0, 255, 1, 0, 255, 1, 255, 255, 255, 255, 255, 255, 0, 255, 1, 0, 255, 1, 255, 255, 255, 255, 255, 255,
    ]);
  });

  it('matches ffmpeg on a real picture and reuses its output buffer', () => {
    const [frame] = testPatternFrames(640, 480, 1);
    const out = new Uint8Array(new SharedArrayBuffer(320 * 240 * 3));
    const ds = createDownscaler(planDownscale(640, 480, 320), out);
    const rgb = ds.run(frame!);
    expect(rgb.data).toBe(out);
    expect(ds.run(frame!).data).toBe(out);
    // reference: ffmpeg's own conversion of the same yuv420p frame
    const ref = execFileSync(
      'ffmpeg',
      [
        '-v',
        'error',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-s',
        '640x480',
        '-i',
        '-',
        '-vf',
        'scale=320:240:flags=bilinear',
        '-pix_fmt',
        'rgb24',
        '-f',
        'rawvideo',
        '-',
      ],
      { input: frame },
    );
    let diff = 0;
    for (let i = 0; i < ref.length; i++) diff += Math.abs(ref[i]! - rgb.data[i]!);
    expect(diff / ref.length).toBeLessThan(8);
  });

  it('rejects a frame of the wrong size', () => {
    const ds = createDownscaler(planDownscale(64, 48, 32));
    expect(() => ds.run(new Uint8Array(100))).toThrow(RangeError);
  });
});
