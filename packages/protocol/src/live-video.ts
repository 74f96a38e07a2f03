// The live video channel (docs/PROTOCOL.md, "Live video for WebRTC"): the H.264 access units the
// publisher's encoder already makes, with their capture times, sent over the same WebSocket as
// the MJPEG preview (`/publish/mjpeg`) and only while the streamer asks for them. The streamer
// forwards them to its WebRTC (WHEP) viewers without decoding or encoding.
//
// Publisher -> streamer, binary: VIDEO_MESSAGE_TAG, 8 bytes of big-endian float64 capture time
// (ms since the epoch), then one Annex B access unit. An MJPEG frame message starts with its
// capture time, a positive float64, whose first byte is below 0x80: the tag cannot be one.
// Streamer -> publisher, text: `{"demand": <MJPEG wanted>, "video": <access units wanted>}`;
// a publisher that knows only the MJPEG preview reads `demand` and ignores `video`.
import { ProtocolError } from './errors.js';
import { isKeyframe, startsWithStartCode } from './h264.js';

/** First byte of a video message (a negative float64's sign bit: never an MJPEG frame message). */
export const VIDEO_MESSAGE_TAG = 0x81;
/** Tag and capture time before the access unit. */
export const VIDEO_HEADER_BYTES = 9;

export interface VideoMessage<T extends Uint8Array = Uint8Array> {
  /** Wall clock (ms since the epoch) when the frame of this access unit was captured. */
  readonly captureTime: number;
  /** One access unit in Annex B format (start codes before every NAL unit). */
  readonly au: T;
  /** The access unit holds an IDR slice: a decoder can start here. */
  readonly keyframe: boolean;
}

/** A binary message of the live channel that carries video rather than an MJPEG frame. */
export function isVideoMessage(message: Uint8Array): boolean {
  return message[0] === VIDEO_MESSAGE_TAG;
}

export function encodeVideoMessage(captureTime: number, au: Uint8Array): Uint8Array {
  const message = new Uint8Array(VIDEO_HEADER_BYTES + au.length);
  message[0] = VIDEO_MESSAGE_TAG;
  new DataView(message.buffer).setFloat64(1, captureTime, false);
  message.set(au, VIDEO_HEADER_BYTES);
  return message;
}

/** Throws INVALID_VIDEO; the access unit is a view on `message`, not a copy. */
export function parseVideoMessage<T extends Uint8Array>(message: T): VideoMessage<T> {
  if (message.length < VIDEO_HEADER_BYTES + 4 || message[0] !== VIDEO_MESSAGE_TAG) {
    throw new ProtocolError(
      'INVALID_VIDEO',
      `A video message is the tag 0x81, ${VIDEO_HEADER_BYTES - 1} bytes of capture time and an access unit; got ${message.length} bytes.`,
    );
  }
  const captureTime = new DataView(message.buffer, message.byteOffset + 1, 8).getFloat64(0, false);
  if (!Number.isFinite(captureTime) || captureTime <= 0) {
    throw new ProtocolError('INVALID_VIDEO', `The capture time must be a positive ms epoch, got ${captureTime}.`);
  }
  const au = message.subarray(VIDEO_HEADER_BYTES) as T;
  if (!startsWithStartCode(au))
    throw new ProtocolError('INVALID_VIDEO', 'The access unit must be H.264 Annex B: it starts with a 00 00 01 or 00 00 00 01 start code.');
  return { captureTime, au, keyframe: isKeyframe(au) };
}

/** What the streamer wants from the publisher's live channel right now. */
export interface LiveDemand {
  /** MJPEG preview frames. */
  readonly mjpeg: boolean;
  /** H.264 access units for WebRTC viewers. */
  readonly video: boolean;
}

export function encodeLiveDemand(demand: LiveDemand): string {
  return JSON.stringify({ demand: demand.mjpeg, video: demand.video });
}

/** The demand a text message carries; `video` is false from a streamer that predates it; undefined for anything else. */
export function parseLiveDemand(text: string): LiveDemand | undefined {
  try {
    const message = JSON.parse(text) as { demand?: unknown; video?: unknown } | null;
    if (typeof message?.demand !== 'boolean') return undefined;
    return { mjpeg: message.demand, video: message.video === true };
  } catch {
    return undefined;
  }
}

/** RTP clock rate of H.264 video (RFC 6184). */
export const H264_CLOCK_RATE = 90_000;

/** The RTP timestamp of a frame captured at `captureTime` (ms epoch): the capture clock at 90 kHz, modulo 2^32. */
export function rtpTimestamp(captureTime: number): number {
  return Math.round(captureTime * (H264_CLOCK_RATE / 1000)) % 2 ** 32;
}
