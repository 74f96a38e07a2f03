/** Every failure the streamer reports on purpose; the HTTP layer maps each code to a status. */
export type StreamerErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_SEGMENT_NAME'
  | 'INVALID_DURATION'
  | 'INVALID_HEADER'
  | 'INVALID_PATH'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'SEGMENT_NOT_FOUND'
  | 'SEGMENT_EXISTS'
  | 'BODY_TOO_LARGE'
  | 'NOT_MPEG_TS'
  | 'SEGMENT_TOO_LONG'
  | 'SEGMENT_FILE_MISSING'
  | 'CLIENT_ABORTED'
  | 'NO_FRAME'
  | 'INVALID_FRAME'
  | 'NOT_JPEG'
  | 'PART_OUT_OF_ORDER'
  | 'PART_NOT_INDEPENDENT'
  | 'PART_NOT_FOUND'
  | 'INVALID_BLOCKING_REQUEST'
  | 'BLOCKING_TIMEOUT'
  | 'VIEWER_UNAUTHORIZED'
  | 'TOO_MANY_UPLOADS'
  | 'STORAGE_FULL'
  | 'STORAGE_UNWRITABLE';

/** An expected error: its message is written for the person (or program) that caused it. */
export class StreamerError extends Error {
  override readonly name = 'StreamerError';
  readonly code: StreamerErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: StreamerErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isStreamerError(error: unknown): error is StreamerError {
  return error instanceof StreamerError;
}
