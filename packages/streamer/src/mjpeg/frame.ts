// The MJPEG wire formats, pure: the publisher's binary message (8-byte big-endian float64
// capture time + one JPEG) and the multipart part each viewer receives (docs/PROTOCOL.md).
import { StreamerError } from '../errors.js';

/** The multipart boundary of `GET /mjpeg`. */
export const BOUNDARY = 'mjpegframe';
export const CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${BOUNDARY}`;
/** Sent once when a viewer connects: the first part's boundary line. */
export const PREAMBLE = Buffer.from(`--${BOUNDARY}\r\n`);
// Each part ends with the next boundary, so a browser knows the image is whole the moment it
// arrives instead of waiting one frame for the following boundary.
const TRAILER = Buffer.from(`\r\n--${BOUNDARY}\r\n`);
const HEADER_BYTES = 8;

export interface IngestFrame {
  /** Wall clock (ms since the epoch) when the frame was captured. */
  readonly captureTime: number;
  readonly jpeg: Buffer;
}

/** A whole JPEG: starts with SOI (FF D8) and ends with EOI (FF D9). */
export function isWholeJpeg(bytes: Buffer): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff && bytes[n - 1] === 0xd9;
}

/** Throws INVALID_FRAME or NOT_JPEG; the JPEG is a view on `message`, not a copy. */
export function parseFrameMessage(message: Buffer): IngestFrame {
  if (message.length < HEADER_BYTES + 4) {
    throw new StreamerError('INVALID_FRAME', `A frame message is 8 bytes of capture time and a JPEG; got ${message.length} bytes.`);
  }
  const captureTime = message.readDoubleBE(0);
  if (!Number.isFinite(captureTime) || captureTime <= 0) {
    throw new StreamerError('INVALID_FRAME', `The capture time must be a positive ms epoch, got ${captureTime}.`);
  }
  const jpeg = message.subarray(HEADER_BYTES);
  if (!isWholeJpeg(jpeg)) throw new StreamerError('NOT_JPEG', 'The frame is not a whole JPEG (SOI FF D8 ... EOI FF D9).');
  return { captureTime, jpeg };
}

/** Encodes a frame message (the publisher's side; tests and the bench use it too). */
export function encodeFrameMessage(captureTime: number, jpeg: Buffer): Buffer {
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head.writeDoubleBE(captureTime, 0);
  return Buffer.concat([head, jpeg]);
}

/** One multipart part, built once per frame and shared by every viewer; `jpeg` is a view into it. */
export function renderPart(frame: IngestFrame): { part: Buffer; jpeg: Buffer } {
  const head = Buffer.from(`Content-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.length}\r\nX-Capture-Time: ${Math.round(frame.captureTime)}\r\n\r\n`, 'latin1');
  const part = Buffer.concat([head, frame.jpeg, TRAILER]);
  return { part, jpeg: part.subarray(head.length, head.length + frame.jpeg.length) };
}
