// What a codec's depacketizer gives the session: whole frames with their RTP timestamp.
import type { RtpPacket } from './rtp.js';

export type VideoCodec = 'h264' | 'vp8';

export interface AccessUnit {
  /** 32-bit RTP timestamp (90 kHz). */
  timestamp: number;
  keyframe: boolean;
  /** H.264: Annex B NAL units; VP8: one frame. */
  data: Buffer;
}

export interface Depacketizer {
  readonly codec: VideoCodec;
  /** Packets in sequence order (jitter.ts); returns the frames they complete. */
  push(packet: RtpPacket): AccessUnit[];
  /** Packets were lost before the next one: drop the frame in progress, wait for a keyframe. */
  lost(): void;
  /** A new decoder reads from here on: output waits for the next keyframe. */
  restart(): void;
  /** True while output waits for a keyframe (the session asks for one). */
  readonly waiting: boolean;
  readonly stats: { units: number; dropped: number; unsupported: number };
}
