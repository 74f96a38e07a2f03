// Every error the publisher raises on purpose carries a stable `code`, so callers (the CLI, tests,
// a supervisor) branch on the code and never on the message text.

export class PublisherError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad option value; the message names the option and the value received. */
export class OptionError extends PublisherError {
  readonly option: string;
  readonly value: unknown;
  constructor(option: string, expected: string, value: unknown) {
    super('INVALID_OPTION', `Expected \`${option}\` to be ${expected}, got \`${String(value)}\``);
    this.option = option;
    this.value = value;
  }
}

export class FfmpegNotFoundError extends PublisherError {
  constructor(message: string) {
    super('FFMPEG_NOT_FOUND', message);
  }
}

/** The camera asked for is not there (or ffmpeg could not open it). */
export class DeviceNotFoundError extends PublisherError {
  readonly device: string;
  constructor(device: string, detail?: string) {
    super(
      'DEVICE_NOT_FOUND',
      `no camera ${device}${detail ? ` (${detail})` : ''}; run \`hls-publish --list-devices\` to see the cameras, or use \`--input test\` for a test pattern`,
    );
    this.device = device;
  }
}

export class FfmpegExitError extends PublisherError {
  readonly role: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
  constructor(role: string, exitCode: number | null, signal: NodeJS.Signals | null, stderrTail: string) {
    const last = lastLine(stderrTail);
    super('FFMPEG_EXIT', `ffmpeg (${role}) exited with ${signal ?? `code ${exitCode}`}${last ? `: ${last}` : ''}`);
    this.role = role;
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** The streamer refused our token: retrying cannot help, so this one is fatal. */
export class UnauthorizedError extends PublisherError {
  constructor() {
    super('UNAUTHORIZED', 'the streamer refused to publish (401); pass its publish token with `--token` (or HLS_PUBLISH_TOKEN)');
  }
}

export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}
