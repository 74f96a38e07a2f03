// Splits the capture's raw byte stream into whole frames without allocating per chunk: bytes
// are copied into a small ring of preallocated frame buffers. A buffer comes back into the ring
// only when `release` says the encoder has taken it, so a frame still queued for writing is
// never overwritten; when no buffer is free the current chunk is parked and its callback held,
// which is what pauses the capture stream upstream.
import { Writable } from 'node:stream';
import { frameBytes, type Frame } from './stage.js';

export interface FrameSplitterOptions {
  width: number;
  height: number;
  /** Preallocated frame buffers. Default 4. */
  ringSize?: number;
  /** Receives each whole frame; must call `release(frame)` once the buffer may be reused. */
  onFrame: (frame: Frame) => void;
  now?: () => number;
}

export interface FrameSplitter {
  /** Consumes a chunk; `done` is called once all of it has been copied into frames. */
  write(chunk: Buffer, done: () => void): void;
  release(frame: Frame): void;
  /** Holds further frames until `unblock` (e.g. while the encoder's stdin wants a 'drain'). */
  block(): void;
  unblock(): void;
  /** Frames handed out and not released yet. */
  readonly pending: number;
  /** Frames emitted so far. */
  readonly count: number;
  /** A Writable to pipe the capture's stdout into; its back-pressure follows the ring. */
  writable(): Writable;
  /** Forgets a partly filled frame (its capture died mid-frame), so a new capture starts aligned. */
  discardPartial(): void;
}

interface Slot {
  frame: Frame;
  busy: boolean;
}

export function createFrameSplitter(options: FrameSplitterOptions): FrameSplitter {
  const { width, height, onFrame } = options;
  const size = frameBytes(width, height);
  const now = options.now ?? Date.now;
  const ring: Slot[] = Array.from({ length: Math.max(2, options.ringSize ?? 4) }, () => ({
    frame: { data: Buffer.allocUnsafe(size), width, height, index: -1, captureTime: 0 },
    busy: false,
  }));
  let next = 0;
  let filling: Slot | undefined;
  let filled = 0;
  let count = 0;
  let pending = 0;
  let blocked = false;
  let parked: { chunk: Buffer; offset: number; done: () => void } | undefined;

  // Frames are released in the order they were written, so the ring is used strictly in order.
  const acquire = (): Slot | undefined => {
    const slot = ring[next]!;
    if (blocked || slot.busy) return undefined;
    next = (next + 1) % ring.length;
    return slot;
  };

  const consume = (chunk: Buffer, start: number, done: () => void): void => {
    let offset = start;
    while (offset < chunk.length) {
      if (!filling) {
        filling = acquire();
        if (!filling) {
          parked = { chunk, offset, done };
          return;
        }
        filled = 0;
      }
      const copied = chunk.copy(filling.frame.data, filled, offset, Math.min(chunk.length, offset + size - filled));
      offset += copied;
      filled += copied;
      if (filled === size) {
        const slot = filling;
        filling = undefined;
        slot.busy = true;
        pending++;
        slot.frame.index = count++;
        slot.frame.captureTime = now();
        onFrame(slot.frame);
      }
    }
    done();
  };

  const resume = () => {
    if (!parked) return;
    const { chunk, offset, done } = parked;
    parked = undefined;
    consume(chunk, offset, done);
  };

  const splitter: FrameSplitter = {
    write(chunk, done) {
      if (parked) throw new Error('FrameSplitter.write called before the previous chunk was done');
      consume(chunk, 0, done);
    },
    release(frame) {
      const slot = ring.find((s) => s.frame === frame);
      if (!slot?.busy) return;
      slot.busy = false;
      pending--;
      resume();
    },
    block() {
      blocked = true;
    },
    unblock() {
      blocked = false;
      resume();
    },
    get pending() {
      return pending;
    },
    get count() {
      return count;
    },
    discardPartial() {
      filled = 0;
      const held = parked;
      parked = undefined;
      held?.done();
    },
    writable() {
      return new Writable({
        // One chunk at a time: the next one waits until this one is fully in frames.
        highWaterMark: 0,
        write: (chunk: Buffer, _encoding, callback) => splitter.write(chunk, () => callback()),
      });
    },
  };
  return splitter;
}
