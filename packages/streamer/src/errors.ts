import { isProtocolError, type FrameErrorCode, type ProtocolError, type PublishErrorCode, type VideoErrorCode, type WhepErrorCode } from '@hls-live/protocol';

/** Every failure the streamer reports on purpose; the HTTP layer maps each code to a status. */
export type StreamerErrorCode =
  // The codes of the publish contract and the MJPEG ingest (@hls-live/protocol).
  | PublishErrorCode
  | FrameErrorCode
  | VideoErrorCode
  // WebRTC playback (WHEP), @hls-live/protocol whep.ts.
  | WhepErrorCode
  | 'INVALID_OPTION'
  | 'INVALID_PATH'
  | 'NOT_FOUND'
  | 'SEGMENT_NOT_FOUND'
  | 'STREAM_NOT_FOUND'
  | 'CLIENT_ABORTED'
  | 'NO_FRAME'
  | 'PART_NOT_FOUND'
  | 'INVALID_BLOCKING_REQUEST'
  | 'BLOCKING_TIMEOUT'
  | 'VIEWER_UNAUTHORIZED';

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

/** A StreamerError, or a ProtocolError from a contract parser: both are the client's doing and say so. */
export function isExpectedError(error: unknown): error is StreamerError | ProtocolError {
  return isStreamerError(error) || isProtocolError(error);
}
