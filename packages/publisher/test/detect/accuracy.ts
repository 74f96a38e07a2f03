// Shared by the detector tests and the bench: run a detector the way the stage does and score it
// against the labelled sample photos.
import { iou, type Box, type Detector } from '../../src/detect/detector.js';
import { createDownscaler, planDownscale, toSourceBoxes } from '../../src/detect/downscale.js';
import { faceLabels, sampleFrame } from './media.js';

/** yuv420p source frame -> downscale -> detect -> boxes in source pixels. */
export async function detectFrame(detector: Detector, data: Uint8Array, width: number, height: number): Promise<Box[]> {
  const plan = planDownscale(width, height, detector.inputSize);
  return toSourceBoxes(await detector.detect(createDownscaler(plan).run(data)), plan);
}

export interface Recall {
  found: number;
  total: number;
  /** `file#index` of each labelled face without a box at IoU >= 0.4. */
  missed: string[];
  /** IoU of each found face with its box. */
  ious: number[];
  /** Boxes that matched no labelled face. */
  extra: number;
}

/** Matches boxes to labelled faces greedily per face (IoU >= 0.4, each box used once) on 640-wide frames. */
export async function recall(detector: Detector): Promise<Recall> {
  const result: Recall = { found: 0, total: 0, missed: [], ious: [], extra: 0 };
  for (const image of faceLabels()) {
    const frame = sampleFrame(image);
    const boxes = await detectFrame(detector, frame.data, frame.width, frame.height);
    const used = new Set<number>();
    frame.faces.forEach((face, i) => {
      result.total++;
      let best = -1;
      let bestIou = 0.4;
      boxes.forEach((b, j) => {
        const v = iou(b, face);
        if (!used.has(j) && v >= bestIou) [best, bestIou] = [j, v];
      });
      if (best >= 0) {
        used.add(best);
        result.found++;
        result.ious.push(bestIou);
      } else result.missed.push(`${image.file}#${i}`);
    });
    result.extra += boxes.length - used.size;
  }
  return result;
}
