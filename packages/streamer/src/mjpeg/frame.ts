// The multipart part each `GET /mjpeg` viewer receives, pure (docs/PROTOCOL.md). The publisher's
// frame message is the contract's: @hls-live/protocol, preview.ts.
import type { FrameMessage } from '@hls-live/protocol';

/** The multipart boundary of `GET /mjpeg`. */
export const BOUNDARY = 'mjpegframe';
export const CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${BOUNDARY}`;
/** Sent once when a viewer connects: the first part's boundary line. */
export const PREAMBLE = Buffer.from(`--${BOUNDARY}\r\n`);
// Each part ends with the next boundary, so a browser knows the image is whole the moment it
// arrives instead of waiting one frame for the following boundary.
const TRAILER = Buffer.from(`\r\n--${BOUNDARY}\r\n`);

/** A frame as the ingest receives it: the JPEG is a view on the WebSocket message. */
export type IngestFrame = FrameMessage<Buffer>;

/** One multipart part, built once per frame and shared by every viewer; `jpeg` is a view into it. */
export function renderPart(frame: IngestFrame): { part: Buffer; jpeg: Buffer } {
  const head = Buffer.from(
    `Content-Type: image/jpeg\r\nContent-Length: ${frame.jpeg.length}\r\nX-Capture-Time: ${Math.round(frame.captureTime)}\r\n\r\n`,
    'latin1',
  );
  const part = Buffer.concat([head, frame.jpeg, TRAILER]);
  return { part, jpeg: part.subarray(head.length, head.length + frame.jpeg.length) };
}
