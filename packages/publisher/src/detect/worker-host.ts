import { Worker } from 'node:worker_threads';
import type { DetectWorkerData, HostToWorker, WorkerToHost } from './protocol.js';
import type { Box } from './types.js';

export interface WorkerResult {
  id: number;
  boxes: Box[];
  ms: number;
  numTensors: number;
}

export interface SpawnDetectWorkerOptions {
  data: DetectWorkerData;
  /** Worker entry; defaults to `worker.js` (or `worker.ts` when running from sources) next to this file. */
  workerUrl?: URL | undefined;
  /** Extra Node flags for the worker thread (tests pass a TypeScript loader). */
  execArgv?: string[] | undefined;
  /** How long loading may take before it counts as a failure. Default `60000` ms. */
  loadTimeoutMs?: number | undefined;
  onResult(result: WorkerResult): void;
  /** The worker died after it was ready (not called for `terminate()`). */
  onCrash(reason: string): void;
  /** Test and diagnostics hook: the raw Worker, right after spawning. */
  onSpawn?: ((worker: Worker) => void) | undefined;
}

export interface DetectWorkerHandle {
  /** Resolves when the detector is loaded; rejects with the load failure reason (a one-line string in `message`). */
  readonly ready: Promise<{ inputSize: number; numTensors: number }>;
  detect(message: Omit<HostToWorker, 'type'>): void;
  terminate(): Promise<void>;
}

export function defaultWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`./worker.${ext}`, import.meta.url);
}

/** Spawns one detector worker and translates its messages and exit into callbacks. */
export function spawnDetectWorker(options: SpawnDetectWorkerOptions): DetectWorkerHandle {
  const worker = new Worker(options.workerUrl ?? defaultWorkerUrl(), {
    workerData: options.data,
    execArgv: options.execArgv ?? [],
    stdout: false,
    stderr: false,
  });
  options.onSpawn?.(worker);
  let isReady = false;
  let terminating = false;
  let lastError: Error | undefined;
  let settle: { resolve: (v: { inputSize: number; numTensors: number }) => void; reject: (e: Error) => void } | undefined;
  const ready = new Promise<{ inputSize: number; numTensors: number }>((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => {});
  const timer = setTimeout(() => {
    settle?.reject(new Error(`the detector did not load within ${options.loadTimeoutMs ?? 60_000} ms`));
    void worker.terminate();
  }, options.loadTimeoutMs ?? 60_000);

  worker.on('message', (message: WorkerToHost) => {
    if (message.type === 'ready') {
      isReady = true;
      clearTimeout(timer);
      settle?.resolve({ inputSize: message.inputSize, numTensors: message.numTensors });
    } else if (message.type === 'load-error') {
      clearTimeout(timer);
      settle?.reject(new Error(message.message));
      terminating = true;
      void worker.terminate();
    } else if (message.type === 'result') {
      options.onResult({ id: message.id, boxes: message.boxes, ms: message.ms, numTensors: message.numTensors });
    }
  });
  worker.on('error', (error) => {
    lastError = error;
  });
  worker.on('exit', (code) => {
    clearTimeout(timer);
    const reason = lastError ? lastError.message : `worker exited with code ${code}`;
    if (!isReady) settle?.reject(new Error(reason));
    else if (!terminating) options.onCrash(reason);
  });

  return {
    ready,
    detect(message) {
      worker.postMessage({ type: 'detect', ...message } satisfies HostToWorker);
    },
    async terminate() {
      terminating = true;
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
