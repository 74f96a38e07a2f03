// H.264 over RTP (RFC 6184, packetization-mode 1) back to access units in Annex B: single NAL
// unit packets, STAP-A aggregates and FU-A fragments. A frame with a hole (a lost packet, a
// fragment without its start) is dropped and nothing is output until the next IDR, so the
// decoder never sees a broken reference; the session asks the sender for that IDR (PLI). The
// last SPS and PPS are put before an IDR that comes without them, so a decoder started mid-stream
// (a restarted capture) can begin there. Pure.
import { createFrameDepacketizer, type Depacketizer, type FrameAssembly } from './unit.js';

const START_CODE = Buffer.from([0, 0, 0, 1]);
const STAP_A = 24;
const FU_A = 28;
const IDR = 5;
const SPS = 7;
const PPS = 8;

export function nalType(nal: Buffer): number {
  return nal[0]! & 0x1f;
}

export function createH264Depacketizer(): Depacketizer {
  let nals: Buffer[] = [];
  let fragment: Buffer[] | undefined;
  let broken = false;
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  const stats = { units: 0, dropped: 0, unsupported: 0 };

  const end: FrameAssembly['end'] = (discard) => {
    const frame = nals;
    const bad = broken || fragment !== undefined;
    nals = [];
    fragment = undefined;
    broken = false;
    if (discard) return undefined;
    if (bad) return 'broken';
    if (frame.length === 0) return undefined;
    const types = frame.map(nalType);
    for (const nal of frame) {
      if (nalType(nal) === SPS) sps = nal;
      else if (nalType(nal) === PPS) pps = nal;
    }
    const keyframe = types.includes(IDR);
    if (keyframe) {
      if (!types.includes(PPS) && pps) frame.unshift(pps);
      if (!types.includes(SPS) && sps) frame.unshift(sps);
    }
    return { keyframe, data: Buffer.concat(frame.flatMap((nal) => [START_CODE, nal])) };
  };

  const add = (payload: Buffer) => {
    if (payload.length === 0) return;
    const type = payload[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      nals.push(payload);
    } else if (type === STAP_A) {
      let offset = 1;
      while (offset + 2 <= payload.length) {
        const size = payload.readUInt16BE(offset);
        if (size === 0 || offset + 2 + size > payload.length) {
          broken = true;
          return;
        }
        nals.push(payload.subarray(offset + 2, offset + 2 + size));
        offset += 2 + size;
      }
    } else if (type === FU_A) {
      if (payload.length < 3) {
        broken = true;
        return;
      }
      const header = payload[1]!;
      const start = (header & 0x80) !== 0;
      const end = (header & 0x40) !== 0;
      if (start) {
        // A new start while one is open means the end was lost.
        if (fragment) broken = true;
        fragment = [Buffer.from([(payload[0]! & 0xe0) | (header & 0x1f)]), payload.subarray(2)];
      } else if (fragment) {
        fragment.push(payload.subarray(2));
      } else {
        broken = true;
        return;
      }
      if (end && fragment) {
        nals.push(Buffer.concat(fragment));
        fragment = undefined;
      }
    } else {
      // STAP-B, MTAP and FU-B belong to packetization-mode 2, which we never answer.
      stats.unsupported++;
    }
  };

  return createFrameDepacketizer('h264', { add, end }, stats);
}
