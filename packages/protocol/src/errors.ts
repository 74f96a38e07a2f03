// The error answers of the publish contract (docs/PROTOCOL.md, "Errors"): every code the streamer
// answers a publisher with, its HTTP status, and whether the publisher should send the same bytes
// again. The streamer's error boundary takes its statuses from here; the publisher its reactions.

/** Code -> HTTP status and whether retrying the same request can succeed. */
export const PUBLISH_ERRORS = {
  INVALID_SEGMENT_NAME: { status: 400, retry: false },
  INVALID_DURATION: { status: 400, retry: false },
  INVALID_HEADER: { status: 400, retry: false },
  /** `X-Stream` is not a stream name (streams.ts). */
  INVALID_STREAM_NAME: { status: 400, retry: false },
  /** Fatal for the publisher: it stops uploading (a wrong token will not become right). */
  UNAUTHORIZED: { status: 401, retry: false },
  SEGMENT_EXISTS: { status: 409, retry: false },
  BODY_TOO_LARGE: { status: 413, retry: false },
  NOT_MPEG_TS: { status: 415, retry: false },
  SEGMENT_TOO_LONG: { status: 422, retry: false },
  SEGMENT_FILE_MISSING: { status: 422, retry: false },
  PART_OUT_OF_ORDER: { status: 422, retry: false },
  PART_NOT_INDEPENDENT: { status: 422, retry: false },
  /** The server's disk, not the request, is at fault. */
  STORAGE_UNWRITABLE: { status: 500, retry: true },
  /** Answered with `Retry-After: TOO_MANY_UPLOADS_RETRY_AFTER_SECONDS`. */
  TOO_MANY_UPLOADS: { status: 503, retry: true },
  /** A new stream name past the streamer's `--max-streams`; a slot frees when an ended stream is forgotten. */
  TOO_MANY_STREAMS: { status: 503, retry: true },
  STORAGE_FULL: { status: 507, retry: true },
} as const satisfies Record<string, { status: number; retry: boolean }>;

export type PublishErrorCode = keyof typeof PUBLISH_ERRORS;
export const PUBLISH_ERROR_CODES = Object.keys(PUBLISH_ERRORS) as readonly PublishErrorCode[];

/** Refusals of an MJPEG preview frame; sent as WebSocket close codes (see preview.ts), not HTTP. */
export type FrameErrorCode = 'INVALID_FRAME' | 'NOT_JPEG';

/** Refusal of a live video message (live-video.ts); sent as a WebSocket close code, not HTTP. */
export type VideoErrorCode = 'INVALID_VIDEO';

/** Every code the contract defines. */
export type ProtocolErrorCode = PublishErrorCode | FrameErrorCode | VideoErrorCode;

/** `Retry-After` of a 503 `TOO_MANY_UPLOADS`, in seconds. */
export const TOO_MANY_UPLOADS_RETRY_AFTER_SECONDS = 1;

/**
 * A message that breaks the contract, thrown by the parsers of this package. `message` is written
 * for whoever sent it; `details` holds the offending value, cut short.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ProtocolErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isProtocolError(error: unknown): error is ProtocolError {
  return error instanceof ProtocolError;
}

/** The body of every error answer: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Reads the code and message of an error answer; undefined when the body is not one (a proxy's page). */
export function readErrorBody(body: string): { code: string; message: string } | undefined {
  try {
    const error = (JSON.parse(body) as Partial<ErrorBody> | null)?.error;
    if (typeof error?.code !== 'string') return undefined;
    return { code: error.code, message: typeof error.message === 'string' ? error.message : '' };
  } catch {
    return undefined;
  }
}

/**
 * What a publisher does with an answer's status: `sent` (2xx), `fatal` (401), `retry` (5xx, and
 * 408/429 that proxies answer) or `rejected` (any other 4xx: the same bytes cannot succeed).
 */
export function answerOutcome(status: number): 'sent' | 'fatal' | 'retry' | 'rejected' {
  if (status >= 200 && status < 300) return 'sent';
  if (status === PUBLISH_ERRORS.UNAUTHORIZED.status) return 'fatal';
  if (status >= 500 || status === 408 || status === 429) return 'retry';
  return 'rejected';
}
