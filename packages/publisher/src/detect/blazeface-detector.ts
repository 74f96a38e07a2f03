import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type * as TfCore from '@tensorflow/tfjs-core';
import type { BoxCorrection } from './box-correction.js';
import { blazeFaceAnchors, decodeBlazeFace, letterbox } from './blazeface-decode.js';
import type { Box, Detector, RgbImage } from './types.js';
import { loadTfWasmRuntime, type TfGraphRuntime } from './runtime.js';

interface FactoryOptions {
  minScore: number;
  inputSize: number;
  modelDir?: string | undefined;
}

/** Side of the model's square input. */
const MODEL_SIDE = 256;
/** Scores, then regressors (centre, size, 6 keypoints), per anchor. */
const REGRESSOR_STRIDE = 16;

/**
 * BlazeFace boxes run from the brows to the chin; SSD MobileNet's (and our labels') from the
 * hairline. Median over 21 sample faces at 640 px, measured against SSD boxes (not the labels):
 * SSD's centre is 0.14 box heights higher, its box 0.9x as wide and 1.3x as tall.
 */
export const BLAZEFACE_BOX_CORRECTION: Readonly<BoxCorrection> = Object.freeze({ dx: 0, dy: -0.14, sw: 0.9, sh: 1.3 });

const require = createRequire(import.meta.url);

/** Folder of the models that ship inside `@vladmandic/human`. */
export function defaultBlazeFaceDir(): string {
  // Its `exports` map hides package.json; the main entry is `dist/human.node.js`.
  return path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
}

/** Reads a tfjs graph model (`model.json` + its weight files) from disk: nothing is fetched. */
async function loadGraphModelFromDisk({ tf, loadGraphModel }: TfGraphRuntime, file: string): Promise<GraphModel> {
  const json = JSON.parse(await readFile(file, 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ paths: string[]; weights: TfCore.io.WeightsManifestEntry[] }>;
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
  };
  const dir = path.dirname(file);
  const parts = await Promise.all(json.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(path.join(dir, p)))));
  const all = Buffer.concat(parts);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
  });
  return loadGraphModel(handler);
}

/**
 * MediaPipe BlazeFace, the 256 px full-range ("back") model that `@vladmandic/human` ships as
 * `models/blazeface.json`: 0.5 MB. Only the graph is used; pre- and post-processing are ours.
 */
export async function createBlazeFaceDetector(options: FactoryOptions): Promise<Detector> {
  const runtime = await loadTfWasmRuntime();
  const { tf } = runtime;
  const model = await loadGraphModelFromDisk(runtime, path.join(options.modelDir ?? defaultBlazeFaceDir(), 'blazeface.json'));
  // A warm-up run on a blank input, which also checks that this is the 256 px BlazeFace graph.
  const shapes = tf.tidy(() => {
    const out = model.execute(tf.fill([1, MODEL_SIDE, MODEL_SIDE, 3], -1));
    return (Array.isArray(out) ? out : [out]).map((t) => t.shape.slice(1).join('x'));
  });
  if ([...shapes].sort().join(',') !== '384x1,384x16,512x1,512x16') {
    model.dispose();
    throw new Error(`blazeface.json is not the 256 px BlazeFace model (outputs ${shapes.join(', ')})`);
  }
  const anchors = blazeFaceAnchors(MODEL_SIDE);
  const side = Math.max(MODEL_SIDE, options.inputSize);
  const pixels = new Float32Array(side * side * 3);
  let disposed = false;

  return {
    name: 'blazeface',
    inputSize: options.inputSize,
    async detect(rgb: RgbImage): Promise<Box[]> {
      if (disposed) throw new Error('detector `blazeface` is disposed');
      if (rgb.data.length < rgb.width * rgb.height * 3) throw new RangeError('rgb buffer is smaller than width * height * 3');
      if (rgb.width > side || rgb.height > side) throw new RangeError(`blazeface expects images of at most ${side} px a side, got ${rgb.width}x${rgb.height}`);
      letterbox(rgb, side, pixels);
      const [logits, regressors] = tf.tidy(() => {
        let input: TfCore.Tensor4D = tf.tensor4d(pixels, [1, side, side, 3]);
        if (side !== MODEL_SIDE) input = tf.image.resizeBilinear(input, [MODEL_SIDE, MODEL_SIDE]);
        const outputs = model.execute(input) as TfCore.Tensor[];
        // Four outputs: scores [1,512,1] and [1,384,1], regressors [1,512,16] and [1,384,16]; the
        // anchors list the 512 stride-16 ones first. Pick them by shape, not by output name.
        const pick = (n: number, k: number) => outputs.find((t) => t.shape[1] === n && t.shape[2] === k)!;
        return [tf.concat([pick(512, 1), pick(384, 1)], 1), tf.concat([pick(512, REGRESSOR_STRIDE), pick(384, REGRESSOR_STRIDE)], 1)];
      });
      try {
        const [l, r] = await Promise.all([logits.data(), regressors.data()]);
        return decodeBlazeFace(l as Float32Array, r as Float32Array, REGRESSOR_STRIDE, anchors, {
          inputSize: MODEL_SIDE,
          minScore: options.minScore,
          scale: side / MODEL_SIDE,
          clipWidth: rgb.width,
          clipHeight: rgb.height,
          correction: BLAZEFACE_BOX_CORRECTION,
        });
      } finally {
        logits.dispose();
        regressors.dispose();
      }
    },
    numTensors: () => tf.memory().numTensors,
    dispose() {
      if (disposed) return;
      disposed = true;
      model.dispose();
    },
  };
}
