import type { Worker } from 'node:worker_threads';
import type { Frame, FrameStage, StreamInfo } from '../pipeline/stage.js';
import { backoff } from '../retry/backoff.js';
import { openDetectionsLog, type DetectionRecord, type DetectionsLog } from './detections-log.js';
import { detectorInputSize } from './detector.js';
import { createDownscaler, planDownscale, toSourceBoxes, type Downscaler } from './downscale.js';
import { drawBoxes } from './draw.js';
import { DetectorLoadError, oneLine } from './errors.js';
import { resolveDetectOptions, type DetectOptions, type DetectorName } from './options.js';
import { createBoxTracker } from './tracker.js';
import { spawnDetectWorker, type DetectWorkerHandle, type WorkerResult } from './worker-host.js';
import type { Box } from './types.js';

/** Structurally compatible with pino's `Logger`. */
export interface DetectLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DetectStageOptions extends Partial<DetectOptions> {
  logger?: DetectLogger;
  /** Override the detector input size (multiple of 32). Default: per detector (blazeface 256, tiny 448, ssd 512). */
  inputSize?: number;
  /** Weights folder. Default: per detector (`@vladmandic/face-api/model`, `@vladmandic/human/models`). */
  modelDir?: string;
  /** How long boxes stay after their face was last seen. Default `max(500, 3000 / detectFps)` ms. */
  holdMs?: number;
  /** First restart delay after a crash; doubles per consecutive failure up to `maxRestartDelayMs`. Default `500`. */
  restartDelayMs?: number;
  /** Default `30000`. */
  maxRestartDelayMs?: number;
  /** Clock in ms, for the detect-fps cap and box expiry. Default `performance.now`. */
  now?: () => number;
  /** Called after each detector result (source pixels), e.g. for metrics. */
  onDetections?: (record: DetectionRecord & { ms: number; numTensors: number }) => void;
  /** Worker entry and Node flags; tests use these to run the TypeScript sources. */
  workerUrl?: URL;
  workerExecArgv?: string[];
  /** Test hook: receives every worker spawned (first start and restarts). */
  onWorkerSpawn?: (worker: Worker) => void;
}

export interface DetectStats {
  /** Frames handed to the worker. */
  posted: number;
  results: number;
  /** Frames not sent because a detection was still running. */
  skippedBusy: number;
  /** Highest number of detections in flight at once (by design never above 1). */
  maxInFlight: number;
  restarts: number;
  /** Live tensors in the worker after its last result. */
  numTensors: number;
  lastDetectMs: number;
}

export interface DetectStage extends FrameStage {
  stats(): DetectStats;
  /** Boxes currently drawn, source pixels. */
  currentBoxes(): Box[];
}

/** The face-detection frame stage: draws the latest boxes on every frame; the detector runs in a worker on the newest frame. */
export function createDetectStage(stageOptions: DetectStageOptions = {}): DetectStage {
  const options = resolveDetectOptions(stageOptions);
  const logger = stageOptions.logger;
  const now = stageOptions.now ?? (() => performance.now());
  const intervalMs = 1000 / options.detectFps;
  const tracker = createBoxTracker({ holdMs: stageOptions.holdMs ?? Math.max(500, 3 * intervalMs) });
  const restartDelays = backoff({ minMs: stageOptions.restartDelayMs ?? 500, maxMs: stageOptions.maxRestartDelayMs ?? 30_000 });
  const stats: DetectStats = { posted: 0, results: 0, skippedBusy: 0, maxInFlight: 0, restarts: 0, numTensors: 0, lastDetectMs: 0 };

  let info: StreamInfo | undefined;
  let downscaler: Downscaler | undefined;
  let shared: SharedArrayBuffer | undefined;
  let worker: DetectWorkerHandle | undefined;
  let workerReady = false;
  let inFlight: { id: number; frame: number } | undefined;
  let inFlightCount = 0;
  let nextId = 1;
  let lastPostAt = -Infinity;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let log: DetectionsLog | undefined;

  if (options.detector === 'off') {
    return { name: 'detect-off', async start() {}, process() {}, async stop() {}, stats: () => ({ ...stats }), currentBoxes: () => [] };
  }
  const detector: DetectorName = options.detector;

  function spawn(): DetectWorkerHandle {
    workerReady = false;
    const handle = spawnDetectWorker({
      data: { detector, minScore: options.minScore, inputSize: stageOptions.inputSize, modelDir: stageOptions.modelDir, shared: shared! },
      workerUrl: stageOptions.workerUrl,
      execArgv: stageOptions.workerExecArgv,
      onSpawn: stageOptions.onWorkerSpawn,
      onResult: (result) => onResult(handle, result),
      onCrash: (reason) => onCrash(handle, reason),
    });
    worker = handle;
    return handle;
  }

  function onResult(handle: DetectWorkerHandle, result: WorkerResult): void {
    if (handle !== worker || inFlight?.id !== result.id || !downscaler || !info) return;
    const frame = inFlight.frame;
    inFlight = undefined;
    inFlightCount--;
    restartDelays.reset();
    stats.results++;
    stats.numTensors = result.numTensors;
    stats.lastDetectMs = result.ms;
    const boxes = toSourceBoxes(result.boxes, downscaler.plan);
    tracker.update(boxes, now());
    const record: DetectionRecord = { t: frame / info.fps, frame, width: info.width, height: info.height, boxes };
    log?.write(record);
    stageOptions.onDetections?.({ ...record, ms: result.ms, numTensors: result.numTensors });
  }

  function onCrash(handle: DetectWorkerHandle, reason: string): void {
    if (handle !== worker || stopped) return;
    worker = undefined;
    workerReady = false;
    inFlight = undefined;
    inFlightCount = 0;
    tracker.clear();
    scheduleRestart(`face detector worker crashed: ${oneLine(reason)}`);
  }

  function scheduleRestart(message: string): void {
    const delay = restartDelays.next();
    logger?.error(
      { code: 'DETECTOR_CRASH', detector, restartInMs: delay, failures: restartDelays.attempts },
      `${message}; restarting in ${delay} ms (video continues without boxes)`,
    );
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopped) return;
      stats.restarts++;
      const handle = spawn();
      handle.ready.then(
        () => {
          if (handle !== worker || stopped) return;
          workerReady = true;
          logger?.info({ detector, restarts: stats.restarts }, 'face detector worker restarted');
        },
        (error: Error) => {
          if (handle !== worker || stopped) return;
          worker = undefined;
          scheduleRestart(`face detector failed to load: ${oneLine(error.message)}`);
        },
      );
    }, delay);
  }

  return {
    name: 'detect',
    async start(streamInfo) {
      info = streamInfo;
      stopped = false;
      const plan = planDownscale(info.width, info.height, detectorInputSize(detector, stageOptions.inputSize));
      shared = new SharedArrayBuffer(plan.width * plan.height * 3);
      downscaler = createDownscaler(plan, new Uint8Array(shared));
      const handle = spawn();
      try {
        const ready = await handle.ready;
        stats.numTensors = ready.numTensors;
      } catch (error) {
        worker = undefined;
        await handle.terminate();
        const reason = error instanceof Error ? error.message : String(error);
        throw new DetectorLoadError(detector, reason.replace(/^Could not load face detector `\w+`: /, ''), { cause: error });
      }
      workerReady = true;
      if (options.detectionsFile !== undefined) {
        log = await openDetectionsLog(options.detectionsFile, (error) => logger?.error({ code: error.code, file: error.file }, error.message));
      }
      logger?.info({ detector, input: `${plan.width}x${plan.height}`, detectFps: options.detectFps }, 'face detector ready');
    },

    process(frame: Frame) {
      const t = now();
      if (worker && workerReady && downscaler) {
        if (inFlight) stats.skippedBusy++;
        else if (t - lastPostAt >= intervalMs) {
          const rgb = downscaler.run(frame.data);
          inFlight = { id: nextId++, frame: frame.index };
          lastPostAt = t;
          stats.posted++;
          inFlightCount++;
          stats.maxInFlight = Math.max(stats.maxInFlight, inFlightCount);
          worker.detect({ id: inFlight.id, width: rgb.width, height: rgb.height });
        }
      }
      const boxes = tracker.current(t);
      if (boxes.length > 0) {
        drawBoxes(frame, boxes, { thickness: options.boxThickness, drawScores: options.drawScores });
      }
    },

    async stop() {
      stopped = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      const handle = worker;
      worker = undefined;
      workerReady = false;
      inFlight = undefined;
      inFlightCount = 0;
      tracker.clear();
      await handle?.terminate();
      await log?.close();
      log = undefined;
    },

    stats: () => ({ ...stats }),
    currentBoxes: () => tracker.current(now()),
  };
}
