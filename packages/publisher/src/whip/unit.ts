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

/** One codec's way of joining the payloads of one RTP timestamp into a frame. */
export interface FrameAssembly {
  /** Takes one packet's payload into the frame in progress. */
  add(payload: Buffer): void;
  /**
   * Ends the frame in progress; the next payload starts a new one. With `discard` (a packet of it was
   * lost) it is only dropped. Otherwise: 'broken' when the payloads show a hole, undefined when there is
   * nothing to decode, else the frame.
   */
  end(discard: boolean): { keyframe: boolean; data: Buffer } | 'broken' | undefined;
}

/**
 * What the codecs share: a frame ends at the marker bit or when the timestamp changes; a frame with a
 * hole is dropped and nothing is output until the next keyframe, so the decoder never sees a broken
 * reference (the session asks the sender for that keyframe).
 */
export function createFrameDepacketizer(codec: VideoCodec, assembly: FrameAssembly, stats: Depacketizer['stats']): Depacketizer {
  let timestamp: number | undefined;
  let lostPart = false;
  let waiting = true;

  const flush = (): AccessUnit | undefined => {
    const ts = timestamp;
    const hole = lostPart;
    timestamp = undefined;
    lostPart = false;
    const frame = assembly.end(ts === undefined || hole);
    if (ts === undefined) return undefined;
    if (hole || frame === 'broken') {
      stats.dropped++;
      waiting = true;
      return undefined;
    }
    if (frame === undefined) return undefined;
    if (waiting && !frame.keyframe) {
      stats.dropped++;
      return undefined;
    }
    waiting = false;
    stats.units++;
    return { timestamp: ts, keyframe: frame.keyframe, data: frame.data };
  };

  return {
    codec,
    push(packet: RtpPacket): AccessUnit[] {
      const out: AccessUnit[] = [];
      if (timestamp !== undefined && packet.timestamp !== timestamp) {
        const unit = flush();
        if (unit) out.push(unit);
      }
      timestamp = packet.timestamp;
      assembly.add(packet.payload);
      if (packet.marker) {
        const unit = flush();
        if (unit) out.push(unit);
      }
      return out;
    },
    lost() {
      // The missing packets may have been part of the frame in progress: it cannot be trusted.
      if (timestamp !== undefined) lostPart = true;
      waiting = true;
    },
    restart() {
      waiting = true;
    },
    get waiting() {
      return waiting;
    },
    stats,
  };
}
