// Worker thread entry: hosts one detector, answers one `detect` message at a time. A detection
// that throws is left uncaught on purpose: the thread dies and the stage restarts it.
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createDetector } from './detector.js';
import type { DetectWorkerData, HostToWorker, WorkerToHost } from './protocol.js';
import type { Detector } from './types.js';

export async function runDetectWorker(port: MessagePort, data: DetectWorkerData): Promise<void> {
  const send = (message: WorkerToHost) => port.postMessage(message);
  let detector: Detector;
  try {
    detector = await createDetector(data.detector, { minScore: data.minScore, inputSize: data.inputSize, modelDir: data.modelDir });
  } catch (error) {
    send({ type: 'load-error', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  const pixels = new Uint8Array(data.shared);
  port.on('message', (message: HostToWorker) => {
    if (message.type !== 'detect') return;
    const started = performance.now();
    const rgb = { data: pixels.subarray(0, message.width * message.height * 3), width: message.width, height: message.height };
    void detector.detect(rgb).then((boxes) => {
      send({ type: 'result', id: message.id, boxes, ms: performance.now() - started, numTensors: detector.numTensors() });
    });
  });
  send({ type: 'ready', inputSize: detector.inputSize, numTensors: detector.numTensors() });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void runDetectWorker(port, workerData as DetectWorkerData);
}
