// VP8 over RTP (RFC 7741) back to frames: the payload descriptor is skipped, the partitions of
// one timestamp are joined. As for H.264, a frame with a hole is dropped and output waits for
// the next keyframe. Pure.
import type { RtpPacket } from './rtp.js';
import type { AccessUnit, Depacketizer } from './unit.js';

/** Length of the VP8 payload descriptor at the start of `payload`, or -1 if it is cut short. */
export function vp8DescriptorLength(payload: Buffer): number {
  if (payload.length < 1) return -1;
  let offset = 1;
  if (payload[0]! & 0x80) {
    const x = payload[offset++];
    if (x === undefined) return -1;
    if (x & 0x80) offset += payload[offset] !== undefined && payload[offset]! & 0x80 ? 2 : 1;
    if (x & 0x40) offset++;
    if (x & 0x30) offset++;
  }
  return offset <= payload.length ? offset : -1;
}

export function createVp8Depacketizer(): Depacketizer {
  let timestamp: number | undefined;
  let parts: Buffer[] = [];
  let started = false;
  let broken = false;
  let waiting = true;
  const stats = { units: 0, dropped: 0, unsupported: 0 };

  const flush = (): AccessUnit | undefined => {
    const ts = timestamp;
    const frame = parts;
    const bad = broken || !started;
    timestamp = undefined;
    parts = [];
    started = false;
    broken = false;
    if (ts === undefined) return undefined;
    if (bad) {
      stats.dropped++;
      waiting = true;
      return undefined;
    }
    if (frame.length === 0) return undefined;
    const data = Buffer.concat(frame);
    // The inverse key frame flag is bit 0 of the frame's first byte.
    const keyframe = (data[0]! & 0x01) === 0;
    if (waiting && !keyframe) {
      stats.dropped++;
      return undefined;
    }
    waiting = false;
    stats.units++;
    return { timestamp: ts, keyframe, data };
  };

  return {
    codec: 'vp8',
    push(packet: RtpPacket): AccessUnit[] {
      const out: AccessUnit[] = [];
      if (timestamp !== undefined && packet.timestamp !== timestamp) {
        const unit = flush();
        if (unit) out.push(unit);
      }
      timestamp = packet.timestamp;
      const skip = vp8DescriptorLength(packet.payload);
      if (skip < 0) broken = true;
      else {
        const head = packet.payload[0]!;
        // S set and partition index 0: the first packet of the frame.
        if (head & 0x10 && (head & 0x07) === 0) {
          if (parts.length) broken = true;
          started = true;
        }
        if (skip < packet.payload.length) parts.push(packet.payload.subarray(skip));
      }
      if (packet.marker) {
        const unit = flush();
        if (unit) out.push(unit);
      }
      return out;
    },
    lost() {
      if (timestamp !== undefined) broken = true;
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
