// The elementary stream handed to the capture ffmpeg: IVF framing (a 32-byte file header, then a
// 12-byte header per frame with its size and timestamp). ffmpeg reads H.264 (fourcc `H264`) and
// VP8 from it, and each frame keeps its RTP time, so the capture's fps filter sees the sender's
// timing rather than the network's jitter. Pure.
import type { VideoCodec } from './unit.js';

/** RTP video clock: IVF timestamps are in 1/90000 s. */
export const VIDEO_CLOCK = 90_000;

export function ivfHeader(codec: VideoCodec, width = 0, height = 0): Buffer {
  const header = Buffer.alloc(32);
  header.write('DKIF', 0, 'latin1');
  header.writeUInt16LE(0, 4);
  header.writeUInt16LE(32, 6);
  header.write(codec === 'h264' ? 'H264' : 'VP80', 8, 'latin1');
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(VIDEO_CLOCK, 16);
  header.writeUInt32LE(1, 20);
  return header;
}

export function ivfFrame(data: Buffer, pts: number): Buffer[] {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(data.length, 0);
  header.writeBigUInt64LE(BigInt(Math.max(0, Math.round(pts))), 4);
  return [header, data];
}

/**
 * 32-bit RTP timestamps -> a timeline from 0 that never wraps nor goes back: the first frame is 0,
 * each next one is later by its (wrapped) distance from the one before, and at least 1 tick.
 */
export function createTimeline(): (timestamp: number) => number {
  let last: number | undefined;
  let pts = 0;
  return (timestamp) => {
    if (last !== undefined) {
      const diff = (timestamp - last) | 0;
      pts += Math.max(1, diff);
    }
    last = timestamp;
    return pts;
  };
}
