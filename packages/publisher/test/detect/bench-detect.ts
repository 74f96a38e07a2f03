// Not a test: ms per detection at a 640x480 source (yuv420p -> downscale -> detect), median and p90 of N runs,
// then recall and false boxes on the labelled sample photos and boxes reported on 6 test-pattern frames.
// node --import ./test/fixtures/ts-register.mjs test/detect/bench-detect.ts [runs=50] [detectors=blazeface,tiny,ssd]
import path from 'node:path';
import { createDetector } from '../../src/detect/detector.js';
import { createDownscaler, planDownscale } from '../../src/detect/downscale.js';
import type { DetectorName } from '../../src/detect/options.js';
import { accuracy, detectFrame } from './accuracy.js';
import { DEMO_DIR, decodeImage, testPatternFrames } from './media.js';

const runs = Number(process.argv[2] ?? 50);
const names = (process.argv[3] ?? 'blazeface,tiny,ssd').split(',') as DetectorName[];
const frame = decodeImage(path.join(DEMO_DIR, 'sample1.jpg'), 640, 480);
const pattern = testPatternFrames(640, 480, 6);
for (const name of names) {
  const detector = await createDetector(name);
  const plan = planDownscale(640, 480, detector.inputSize);
  const downscaler = createDownscaler(plan);
  await detector.detect(downscaler.run(frame));
  const ms: number[] = [];
  const downMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const rgb = downscaler.run(frame);
    const t1 = performance.now();
    await detector.detect(rgb);
    ms.push(performance.now() - t1);
    downMs.push(t1 - t0);
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
  const p90 = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length * 0.9)]!;
  console.log(
    `${name}: input ${plan.width}x${plan.height}, detect median ${median(ms).toFixed(1)} ms, p90 ${p90(ms).toFixed(1)} ms, ` +
      `downscale median ${median(downMs).toFixed(2)} ms, runs ${runs}, tensors ${detector.numTensors()}`,
  );
  const r = await accuracy(detector);
  let patternBoxes = 0;
  for (const p of pattern) patternBoxes += (await detectFrame(detector, p, 640, 480)).length;
  const meanIou = r.ious.reduce((a, b) => a + b, 0) / Math.max(1, r.ious.length);
  console.log(
    `${name}: recall ${r.found}/${r.total} (IoU >= 0.4, mean IoU ${meanIou.toFixed(2)}, min ${Math.min(...r.ious).toFixed(2)}), ` +
      `false boxes ${r.falseBoxes.length} on ${r.images} photos, test-pattern boxes ${patternBoxes}${r.missed.length ? `, missed ${r.missed.join(' ')}` : ''}`,
  );
  detector.dispose();
}
