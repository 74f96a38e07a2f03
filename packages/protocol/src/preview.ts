// The MJPEG preview channel (docs/PROTOCOL.md, "MJPEG preview"): one WebSocket from the publisher
// to the streamer's ingest. Publisher -> streamer: binary frame messages. Streamer -> publisher:
// text demand messages. A refused message closes the connection with one of the close codes.
// Frames are Uint8Array (a Node Buffer is one) so a browser publisher can use the same encoder.
import { ProtocolError, type FrameErrorCode } from './errors.js';
import { streamerUrl } from './url.js';

/** The WebSocket upgrade path of the ingest, under the streamer's base URL. */
export const MJPEG_INGEST_PATH = '/publish/mjpeg';
/** Bytes of capture time (big-endian IEEE 754 float64, ms since the epoch) before the JPEG. */
export const FRAME_HEADER_BYTES = 8;
/** The smallest whole JPEG: SOI then EOI. */
const MIN_JPEG_BYTES = 4;
/** The streamer pings this often and drops a publisher that missed the previous ping. */
export const PREVIEW_HEARTBEAT_MS = 15_000;
/** A WebSocket close reason is at most 123 bytes (RFC 6455 5.5: 125-byte control frame payload). */
export const MAX_CLOSE_REASON_BYTES = 123;

/** WebSocket close codes of the ingest (4000-4999 are the application's own). */
export const PREVIEW_CLOSE_CODES = {
  /** The publisher is stopping. */
  NORMAL: 1000,
  /** Streamer shutting down. */
  GOING_AWAY: 1001,
  /** A text message from the publisher. */
  UNSUPPORTED: 1003,
  /** A message over the streamer's `--max-mjpeg-frame-bytes` + FRAME_HEADER_BYTES. */
  TOO_BIG: 1009,
  INVALID_FRAME: 4400,
  REPLACED: 4409,
  NOT_JPEG: 4415,
} as const;

export type PreviewCloseCode = (typeof PREVIEW_CLOSE_CODES)[keyof typeof PREVIEW_CLOSE_CODES];

/** `http://host:8080/base` -> `ws://host:8080/base/publish/mjpeg` (`https` -> `wss`). */
export function previewUrl(streamer: string): string {
  const url = streamerUrl(streamer, MJPEG_INGEST_PATH);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** The largest frame message for a JPEG cap: the ingest's WebSocket payload limit. */
export function maxFrameMessageBytes(maxJpegBytes: number): number {
  return maxJpegBytes + FRAME_HEADER_BYTES;
}

export interface FrameMessage<T extends Uint8Array = Uint8Array> {
  /** Wall clock (ms since the epoch) when the frame was captured. */
  readonly captureTime: number;
  readonly jpeg: T;
}

/** A whole JPEG: starts with SOI (FF D8) and ends with EOI (FF D9). */
export function isWholeJpeg(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= MIN_JPEG_BYTES && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9;
}

/** One binary message: 8 bytes of big-endian float64 capture time, then the JPEG. */
export function encodeFrameMessage(captureTime: number, jpeg: Uint8Array): Uint8Array {
  const message = new Uint8Array(FRAME_HEADER_BYTES + jpeg.length);
  new DataView(message.buffer).setFloat64(0, captureTime, false);
  message.set(jpeg, FRAME_HEADER_BYTES);
  return message;
}

/** Throws INVALID_FRAME or NOT_JPEG; the JPEG is a view on `message` (a Buffer for a Buffer), not a copy. */
export function parseFrameMessage<T extends Uint8Array>(message: T): FrameMessage<T> {
  if (message.length < FRAME_HEADER_BYTES + MIN_JPEG_BYTES) {
    throw new ProtocolError('INVALID_FRAME', `A frame message is ${FRAME_HEADER_BYTES} bytes of capture time and a JPEG; got ${message.length} bytes.`);
  }
  const captureTime = new DataView(message.buffer, message.byteOffset, FRAME_HEADER_BYTES).getFloat64(0, false);
  if (!Number.isFinite(captureTime) || captureTime <= 0) {
    throw new ProtocolError('INVALID_FRAME', `The capture time must be a positive ms epoch, got ${captureTime}.`);
  }
  const jpeg = message.subarray(FRAME_HEADER_BYTES) as T;
  if (!isWholeJpeg(jpeg)) throw new ProtocolError('NOT_JPEG', 'The frame is not a whole JPEG (SOI FF D8 ... EOI FF D9).');
  return { captureTime, jpeg };
}

/** The streamer's text message: whether anyone is watching, so whether to send frames. */
export function encodeDemandMessage(demand: boolean): string {
  return JSON.stringify({ demand });
}

/** The demand a text message carries; undefined for anything that is not a demand message. */
export function parseDemandMessage(text: string): boolean | undefined {
  try {
    const message = JSON.parse(text) as { demand?: unknown } | null;
    return typeof message?.demand === 'boolean' ? message.demand : undefined;
  } catch {
    return undefined;
  }
}

/** The close code that refuses a frame with this error. */
export function frameCloseCode(code: FrameErrorCode): PreviewCloseCode {
  return code === 'NOT_JPEG' ? PREVIEW_CLOSE_CODES.NOT_JPEG : PREVIEW_CLOSE_CODES.INVALID_FRAME;
}

/** A close reason starting with the error code, cut to fit a close frame. */
export function closeReason(code: string, message: string): string {
  let reason = `${code}: ${message}`.slice(0, MAX_CLOSE_REASON_BYTES);
  while (new TextEncoder().encode(reason).length > MAX_CLOSE_REASON_BYTES) reason = reason.slice(0, -1);
  return reason;
}
