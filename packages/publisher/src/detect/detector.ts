// The detector registry: which detectors exist, their default input sizes, and loading one by name.
import { DetectorLoadError } from './errors.js';
import type { DetectorName } from './options.js';
import { createBlazeFaceDetector } from './blazeface-detector.js';
import { createSsdDetector, createTinyDetector } from './face-api-detectors.js';
import type { Detector } from './types.js';

export interface CreateDetectorOptions {
  /** Minimum score of a returned box, in [0, 1]. Default `0.5`. */
  minScore?: number;
  /** Override the detector's input size (multiple of 32). Default: per detector. */
  inputSize?: number;
  /** Weights folder. Default: `@vladmandic/face-api/model` (tiny, ssd), `@vladmandic/human/models` (blazeface). */
  modelDir?: string;
}

type Factory = (options: Required<Omit<CreateDetectorOptions, 'modelDir'>> & { modelDir?: string }) => Promise<Detector>;

interface Entry {
  /**
   * Default input size: tiny at 448 (416 missed 3 of 22 sample faces, 448 missed 1, at ~20% more time), SSD always resizes to 512,
   * blazeface at its model's 256 (larger sizes are resized back to 256 in the worker: same faces found, only slower).
   */
  inputSize: number;
  create: Factory;
}

const REGISTRY: Readonly<Record<DetectorName, Entry>> = {
  tiny: { inputSize: 448, create: createTinyDetector },
  ssd: { inputSize: 512, create: createSsdDetector },
  blazeface: { inputSize: 256, create: createBlazeFaceDetector },
};

/** The input size a detector will ask for, without loading it (used to size the downscale buffer). */
export function detectorInputSize(name: DetectorName, override?: number): number {
  return override ?? REGISTRY[name].inputSize;
}

/** Loads a detector by name; any failure becomes a `DetectorLoadError` (code `DETECTOR_LOAD`). */
export async function createDetector(name: DetectorName, options: CreateDetectorOptions = {}): Promise<Detector> {
  const entry = REGISTRY[name];
  if (entry === undefined) throw new DetectorLoadError(String(name), 'unknown detector');
  const inputSize = options.inputSize ?? entry.inputSize;
  if (!Number.isInteger(inputSize) || inputSize < 64 || inputSize % 32 !== 0) {
    throw new DetectorLoadError(name, `input size must be a multiple of 32 and at least 64, got ${inputSize}`);
  }
  try {
    return await entry.create({ minScore: options.minScore ?? 0.5, inputSize, modelDir: options.modelDir });
  } catch (error) {
    if (error instanceof DetectorLoadError) throw error;
    throw new DetectorLoadError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
