// Puts RTP packets back in sequence order. UDP may reorder packets; a packet that does not come
// within `capacity` later packets or `maxWaitMs` is counted lost and skipped, so a loss costs a
// short wait, never a stall. Pure: time is passed in.
import type { RtpPacket } from './rtp.js';

export interface JitterOptions {
  /** Packets held while waiting for a missing one. Default 64. */
  capacity?: number;
  /** Longest wait for a missing packet, in ms. Default 100. */
  maxWaitMs?: number;
}

/** A packet in sequence order, with how many packets were skipped as lost right before it. */
export interface Ordered {
  packet: RtpPacket;
  lostBefore: number;
}

export interface JitterBuffer {
  push(packet: RtpPacket, now: number): Ordered[];
  /** Releases what waited too long (call now and then, as no packet may come). */
  poll(now: number): Ordered[];
  /** Packets skipped as lost, and late or duplicate packets dropped, so far. */
  readonly stats: { lost: number; late: number };
}

/** a - b on the 16-bit sequence circle, in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return ((a - b + 0x18000) & 0xffff) - 0x8000;
}

export function createJitterBuffer(options: JitterOptions = {}): JitterBuffer {
  const capacity = options.capacity ?? 64;
  const maxWaitMs = options.maxWaitMs ?? 100;
  const held = new Map<number, { packet: RtpPacket; at: number }>();
  let next: number | undefined;
  const stats = { lost: 0, late: 0 };

  const release = (now: number, jumped = false): Ordered[] => {
    const out: Ordered[] = [];
    // After a jump the frame in progress cannot be completed: report it as a loss.
    let lostBefore = jumped ? 1 : 0;
    for (;;) {
      for (let item = held.get(next!); item; item = held.get(next!)) {
        held.delete(next!);
        out.push({ packet: item.packet, lostBefore });
        lostBefore = 0;
        next = (next! + 1) & 0xffff;
      }
      if (held.size === 0) break;
      const oldestAt = Math.min(...[...held.values()].map((h) => h.at));
      if (held.size <= capacity && now - oldestAt < maxWaitMs) break;
      // Give up on the missing packets: go on from the oldest one held.
      let oldest = next!;
      let best = Infinity;
      for (const seq of held.keys()) {
        const d = seqDiff(seq, next!);
        if (d < best) {
          best = d;
          oldest = seq;
        }
      }
      lostBefore += best;
      stats.lost += best;
      next = oldest;
    }
    return out;
  };

  return {
    push(packet, now) {
      if (next === undefined) next = packet.sequence;
      let jumped = false;
      const diff = seqDiff(packet.sequence, next);
      if (diff < 0 || held.has(packet.sequence)) {
        // Late (already skipped) or a duplicate; a jump far back is a restarted sender.
        if (diff > -1000) {
          stats.late++;
          return [];
        }
        jumped = true;
      } else if (diff > 4 * capacity + 1000) {
        jumped = true;
      }
      if (jumped) {
        held.clear();
        next = packet.sequence;
      }
      held.set(packet.sequence, { packet, at: now });
      return release(now, jumped);
    },
    poll: (now) => (held.size ? release(now) : []),
    stats,
  };
}
