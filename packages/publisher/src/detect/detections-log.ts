import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Box } from './types.js';

/** One detector result, as written to `--detections FILE`. Boxes are in source pixels. */
export interface DetectionRecord {
  /** Seconds since stream start: the frame's index divided by the stream fps (its timestamp in the encoder). */
  t: number;
  /** Index of the frame the detector looked at. */
  frame: number;
  width: number;
  height: number;
  boxes: Box[];
}

/** One JSON line (with the trailing newline); coordinates rounded to 0.1 px, scores to 0.001. */
export function formatDetectionLine(record: DetectionRecord): string {
  const boxes = record.boxes.map((b) => ({ x: round(b.x, 1), y: round(b.y, 1), w: round(b.w, 1), h: round(b.h, 1), score: round(b.score, 3) }));
  return `${JSON.stringify({ t: round(record.t, 3), frame: record.frame, width: record.width, height: record.height, boxes })}\n`;
}

export class DetectionsFileError extends Error {
  readonly code = 'DETECTIONS_FILE';
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`Cannot write detections file \`${file}\`: ${reason}`, options);
    this.name = 'DetectionsFileError';
    this.file = file;
  }
}

export interface DetectionsLog {
  write(record: DetectionRecord): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

/** Opens (truncates) `file` for JSON Lines; rejects with `DetectionsFileError` if it cannot be opened. */
export async function openDetectionsLog(file: string, onError: (error: DetectionsFileError) => void = () => {}): Promise<DetectionsLog> {
  const stream = createWriteStream(file, { flags: 'w' });
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new DetectionsFileError(file, error instanceof Error ? error.message : String(error), { cause: error });
  }
  let failed = false;
  stream.on('error', (error) => {
    if (failed) return;
    failed = true;
    onError(new DetectionsFileError(file, error.message, { cause: error }));
  });
  return {
    write(record) {
      if (!failed) stream.write(formatDetectionLine(record));
    },
    async close() {
      if (stream.closed || stream.destroyed) return;
      await new Promise<void>((resolve) => stream.end(resolve));
    },
  };
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
