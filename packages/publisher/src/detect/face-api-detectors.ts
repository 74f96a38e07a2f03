import type * as TfCore from '@tensorflow/tfjs-core';
import { correctBox, IDENTITY, type BoxCorrection } from './box-correction.js';
import type { Box, Detector, RgbImage } from './types.js';
import { loadFaceApiRuntime, type FaceApiRuntime } from './runtime.js';

interface FactoryOptions {
  minScore: number;
  inputSize: number;
  modelDir?: string | undefined;
}

interface FaceApiNet {
  loadFromDisk(dir: string): Promise<void>;
  locateFaces(input: unknown, options: unknown): Promise<Array<{ score: number; box: { x: number; y: number; width: number; height: number } }>>;
  dispose(throwOnRedispose?: boolean): void;
}

/** face-api TinyFaceDetector: a 190 KB YOLO-style net, fast but fooled by the test pattern (opt-in). */
export async function createTinyDetector(options: FactoryOptions): Promise<Detector> {
  const runtime = await loadFaceApiRuntime(options.modelDir);
  const net = new runtime.faceapi.TinyFaceDetector() as unknown as FaceApiNet;
  await net.loadFromDisk(runtime.modelDir);
  const netOptions = new runtime.faceapi.TinyFaceDetectorOptions({ inputSize: options.inputSize, scoreThreshold: options.minScore });
  return wrap('tiny', options.inputSize, runtime, net, netOptions, TINY_BOX_CORRECTION);
}

/** face-api SSD MobileNet v1: 5.4 MB, slower, better on small and turned faces. */
export async function createSsdDetector(options: FactoryOptions): Promise<Detector> {
  const runtime = await loadFaceApiRuntime(options.modelDir);
  const net = new runtime.faceapi.SsdMobilenetv1() as unknown as FaceApiNet;
  await net.loadFromDisk(runtime.modelDir);
  const netOptions = new runtime.faceapi.SsdMobilenetv1Options({ minConfidence: options.minScore, maxResults: 50 });
  return wrap('ssd', options.inputSize, runtime, net, netOptions);
}

/**
 * TinyFaceDetector's boxes are consistently ~1.55x wider than the face and sit ~14% of their
 * height too low (same at input sizes 416..512; measured against SSD MobileNet boxes on face-api's
 * demo photos, 20-22 faces per size, not against our hand labels). Undo that so drawn boxes hug the face.
 */
export const TINY_BOX_CORRECTION: Readonly<BoxCorrection> = Object.freeze({ dx: 0.01, dy: -0.145, sw: 0.65, sh: 1 });

function wrap(
  name: Detector['name'],
  inputSize: number,
  runtime: FaceApiRuntime,
  net: FaceApiNet,
  netOptions: unknown,
  correction: Readonly<BoxCorrection> = IDENTITY,
): Detector {
  const { tf } = runtime;
  let disposed = false;
  return {
    name,
    inputSize,
    async detect(rgb: RgbImage): Promise<Box[]> {
      if (disposed) throw new Error(`detector \`${name}\` is disposed`);
      if (rgb.data.length < rgb.width * rgb.height * 3) throw new RangeError('rgb buffer is smaller than width * height * 3');
      const input: TfCore.Tensor3D = tf.tidy(() => tf.tensor3d(rgb.data.subarray(0, rgb.width * rgb.height * 3), [rgb.height, rgb.width, 3], 'int32'));
      try {
        const found = await net.locateFaces(input, netOptions);
        return found
          .map((d) => correctBox({ x: d.box.x, y: d.box.y, w: d.box.width, h: d.box.height, score: d.score }, correction, rgb.width, rgb.height))
          .filter((b) => b.w > 0 && b.h > 0)
          .sort((a, b) => b.score - a.score);
      } finally {
        input.dispose();
      }
    },
    numTensors: () => tf.memory().numTensors,
    dispose() {
      if (disposed) return;
      disposed = true;
      net.dispose(false);
    },
  };
}
