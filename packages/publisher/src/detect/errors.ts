/** A face detector could not be loaded (missing weights, wasm backend failure, worker died while loading). */
export class DetectorLoadError extends Error {
  readonly code = 'DETECTOR_LOAD';
  readonly detector: string;

  constructor(detector: string, reason: string, options?: { cause?: unknown }) {
    super(`Could not load face detector \`${detector}\`: ${oneLine(reason)}`, options);
    this.name = 'DetectorLoadError';
    this.detector = detector;
  }
}

/** Keeps error lines to one line: the first line of a possibly multi-line message. */
export function oneLine(text: string): string {
  const first = text.split('\n').find((line) => line.trim() !== '') ?? text;
  return first.trim();
}
