// Shared by the detector tests and the bench: run a detector the way the stage does and score it
// against the labelled sample photos.
import { iou, type Box, type Detector } from '../../src/detect/types.js';
import { createDownscaler, planDownscale, toSourceBoxes } from '../../src/detect/downscale.js';
import { faceLabels, sampleFrame } from './media.js';

/** yuv420p source frame -> downscale -> detect -> boxes in source pixels. */
export async function detectFrame(detector: Detector, data: Uint8Array, width: number, height: number): Promise<Box[]> {
  const plan = planDownscale(width, height, detector.inputSize);
  return toSourceBoxes(await detector.detect(createDownscaler(plan).run(data)), plan);
}

export interface Accuracy {
  /** Labelled photos scored. */
  images: number;
  found: number;
  total: number;
  /** `file#index` of each labelled face without a box at IoU >= 0.4. */
  missed: string[];
  /** IoU of each found face with its box. */
  ious: number[];
  /** Boxes matched to no labelled face (a duplicate box on a face already matched counts too), as `file (score)`. */
  falseBoxes: string[];
}

/**
 * Recall and precision on 640-wide frames of the labelled photos: boxes are matched to labelled faces greedily
 * per face (IoU >= 0.4, each box used once); faces left without a box are missed, boxes left without a face are false.
 */
export async function accuracy(detector: Detector): Promise<Accuracy> {
  const result: Accuracy = { images: 0, found: 0, total: 0, missed: [], ious: [], falseBoxes: [] };
  for (const image of faceLabels()) {
    result.images++;
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
    boxes.forEach((b, j) => {
      if (!used.has(j)) result.falseBoxes.push(`${image.file} (${b.score.toFixed(2)})`);
    });
  }
  return result;
}
