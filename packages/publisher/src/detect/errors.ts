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

/** A detection option has an invalid value; `option` is the CLI flag name, e.g. `--min-score`. */
export class DetectOptionError extends Error {
  readonly code = 'DETECT_OPTION';
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, expected: string, value: unknown) {
    super(`Expected \`${option}\` to be ${expected}, got \`${String(value)}\``);
    this.name = 'DetectOptionError';
    this.option = option;
    this.value = value;
  }
}

/** Keeps error lines to one line: the first line of a possibly multi-line message. */
export function oneLine(text: string): string {
  const first = text.split('\n').find((line) => line.trim() !== '') ?? text;
  return first.trim();
}
