// VP8 over RTP (RFC 7741) back to frames: the payload descriptor is skipped, the partitions of
// one timestamp are joined. As for H.264, a frame with a hole is dropped and output waits for
// the next keyframe. Pure.
import { createFrameDepacketizer, type Depacketizer } from './unit.js';

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
  let parts: Buffer[] = [];
  let started = false;
  let broken = false;

  return createFrameDepacketizer(
    'vp8',
    {
      add(payload) {
        const skip = vp8DescriptorLength(payload);
        if (skip < 0) {
          broken = true;
          return;
        }
        const head = payload[0]!;
        // S set and partition index 0: the first packet of the frame.
        if (head & 0x10 && (head & 0x07) === 0) {
          if (parts.length) broken = true;
          started = true;
        }
        if (skip < payload.length) parts.push(payload.subarray(skip));
      },
      end(discard) {
        const frame = parts;
        const bad = broken || !started;
        parts = [];
        started = false;
        broken = false;
        if (discard) return undefined;
        if (bad) return 'broken';
        if (frame.length === 0) return undefined;
        const data = Buffer.concat(frame);
        // The inverse key frame flag is bit 0 of the frame's first byte.
        return { keyframe: (data[0]! & 0x01) === 0, data };
      },
    },
    { units: 0, dropped: 0, unsupported: 0 },
  );
}
