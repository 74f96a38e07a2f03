import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDetector } from '../../src/detect/detector.js';
import type { Detector } from '../../src/detect/types.js';
import { DEFAULT_DETECT_OPTIONS, type DetectorName } from '../../src/detect/options.js';
import { accuracy, detectFrame, type Accuracy } from './accuracy.js';
import { DEMO_DIR, decodeImage, testPatternFrames } from './media.js';

// Measured at the default min score (0.5) on the 6 labelled photos (22 faces): faces found 21 (blazeface), 21 (tiny),
// 22 (ssd); false boxes 0 for each. The best-scoring false box scores 0.27 (blazeface), 0.41 (tiny), 0.08 (ssd), so
// the 0.5 cut-off keeps them out with room to spare; one more false box anywhere in the photos fails the test.
const MIN_RECALL = 0.9;
const MAX_FALSE_BOXES_PER_IMAGE = 0;

function expectAccurate(result: Accuracy): void {
  expect(result.images).toBe(6);
  expect(result.total).toBe(22);
  expect(result.found / result.total, `missed ${result.missed.join(', ')}`).toBeGreaterThanOrEqual(MIN_RECALL);
  expect(result.falseBoxes.length / result.images, `false boxes: ${result.falseBoxes.join(', ')}`).toBeLessThanOrEqual(MAX_FALSE_BOXES_PER_IMAGE);
}

describe('default detector on the labelled sample photos', () => {
  let detector: Detector;
  beforeAll(async () => {
    detector = await createDetector(DEFAULT_DETECT_OPTIONS.detector as DetectorName, { minScore: DEFAULT_DETECT_OPTIONS.minScore });
  }, 60_000);
  afterAll(() => detector?.dispose());

  it('finds at least 90% of the labelled faces (IoU >= 0.4) and no other box in 640-wide frames', async () => {
    expectAccurate(await accuracy(detector));
  }, 60_000);

  it('reports no face on test-pattern frames', async () => {
    for (const frame of testPatternFrames(640, 480, 6)) {
      expect(await detectFrame(detector, frame, 640, 480)).toEqual([]);
    }
  }, 60_000);
});

describe('ssd detector (opt-in, accurate, ~200 ms)', () => {
  it('also finds at least 90% of the labelled faces, no other box, and none on the test pattern', async () => {
    const detector = await createDetector('ssd', { minScore: DEFAULT_DETECT_OPTIONS.minScore });
    try {
      expectAccurate(await accuracy(detector));
      for (const frame of testPatternFrames(640, 480, 3)) expect(await detectFrame(detector, frame, 640, 480)).toEqual([]);
    } finally {
      detector.dispose();
    }
  }, 60_000);
});

describe('tiny detector (opt-in, fast)', () => {
  it('also finds at least 90% of the labelled faces and no other box; at most 4 boxes on 6 test-pattern frames', async () => {
    const detector = await createDetector('tiny', { minScore: DEFAULT_DETECT_OPTIONS.minScore });
    try {
      expectAccurate(await accuracy(detector));
      // Its known weakness (README): measured 4 boxes, one on each of 4 of the 6 frames.
      let patternBoxes = 0;
      for (const frame of testPatternFrames(640, 480, 6)) patternBoxes += (await detectFrame(detector, frame, 640, 480)).length;
      expect(patternBoxes).toBeLessThanOrEqual(4);
    } finally {
      detector.dispose();
    }
  }, 60_000);
});

describe('tensor hygiene', () => {
  it('keeps the live tensor count flat over 600 detections (tiny, 256 px input)', async () => {
    const detector = await createDetector('tiny', { inputSize: 256, minScore: 0.2 });
    const rgb = { data: decodeImage(path.join(DEMO_DIR, 'sample3.jpg'), 256, 180, 'rgb24'), width: 256, height: 180 };
    const boxes = await detector.detect(rgb);
    expect(boxes.length).toBeGreaterThan(0); // it is doing real work
    const before = detector.numTensors();
    for (let i = 0; i < 600; i++) await detector.detect(rgb);
    expect(detector.numTensors()).toBe(before);
    const weights = detector.numTensors();
    detector.dispose();
    expect(detector.numTensors()).toBeLessThan(weights);
  }, 60_000);

  it('keeps the live tensor count flat for ssd too', async () => {
    const detector = await createDetector('ssd');
    const rgb = { data: decodeImage(path.join(DEMO_DIR, 'sample1.jpg'), 320, 214, 'rgb24'), width: 320, height: 214 };
    await detector.detect(rgb);
    const before = detector.numTensors();
    for (let i = 0; i < 20; i++) await detector.detect(rgb);
    expect(detector.numTensors()).toBe(before);
    detector.dispose();
  }, 60_000);
  it('keeps the live tensor count flat for blazeface and frees its weights', async () => {
    const detector = await createDetector('blazeface', { minScore: 0.3 });
    const rgb = { data: decodeImage(path.join(DEMO_DIR, 'sample3.jpg'), 256, 180, 'rgb24'), width: 256, height: 180 };
    expect((await detector.detect(rgb)).length).toBeGreaterThan(0);
    const before = detector.numTensors();
    for (let i = 0; i < 600; i++) await detector.detect(rgb);
    expect(detector.numTensors()).toBe(before);
    detector.dispose();
    expect(detector.numTensors()).toBeLessThan(before);
  }, 60_000);

  it('resizes a blazeface input larger than its model without leaking', async () => {
    const detector = await createDetector('blazeface', { inputSize: 384 });
    const rgb = { data: decodeImage(path.join(DEMO_DIR, 'sample3.jpg'), 384, 270, 'rgb24'), width: 384, height: 270 };
    const first = await detector.detect(rgb);
    expect(first.length).toBe(3);
    const before = detector.numTensors();
    for (let i = 0; i < 20; i++) await detector.detect(rgb);
    expect(detector.numTensors()).toBe(before);
    detector.dispose();
  }, 60_000);
});

describe('load errors', () => {
  it('fails with DETECTOR_LOAD and one line when the weights are missing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'no-weights-'));
    const error = await createDetector('tiny', { modelDir: empty }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DETECTOR_LOAD', detector: 'tiny' });
    expect((error as Error).message).toMatch(/^Could not load face detector `tiny`: /);
    expect((error as Error).message).not.toContain('\n');
  });

  it('fails with DETECTOR_LOAD when the blazeface model is missing', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'no-weights-'));
    const error = await createDetector('blazeface', { modelDir: empty }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DETECTOR_LOAD', detector: 'blazeface' });
    expect((error as Error).message).toMatch(/^Could not load face detector `blazeface`: .*blazeface\.json/);
    expect((error as Error).message).not.toContain('\n');
  });

  it('rejects a bad input size', async () => {
    await expect(createDetector('tiny', { inputSize: 100 })).rejects.toMatchObject({ code: 'DETECTOR_LOAD' });
  });
});
