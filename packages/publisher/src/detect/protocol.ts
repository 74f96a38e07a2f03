import type { Box } from './types.js';
import type { DetectorName } from './options.js';

/** Passed as `workerData` to the detector worker. */
export interface DetectWorkerData {
  detector: DetectorName;
  minScore: number;
  inputSize?: number | undefined;
  modelDir?: string | undefined;
  /** Holds the downscaled RGB frame; the host writes it only while the worker is idle. */
  shared: SharedArrayBuffer;
}

export type HostToWorker = { type: 'detect'; id: number; width: number; height: number };

export type WorkerToHost =
  | { type: 'ready'; inputSize: number; numTensors: number }
  | { type: 'load-error'; message: string }
  | { type: 'result'; id: number; boxes: Box[]; ms: number; numTensors: number };
