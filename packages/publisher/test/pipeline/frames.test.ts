import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createFrameSplitter } from '../../src/pipeline/frames.js';
import type { Frame } from '../../src/pipeline/stage.js';

// 4x2 yuv420p: 8 luma + 2 + 2 chroma = 12 bytes per frame.
const W = 4;
const H = 2;
const SIZE = 12;

/** Frame n is SIZE bytes all equal to n (mod 256), so a frame's content proves where it came from. */
function stream(frames: number): Buffer {
  const out = Buffer.alloc(frames * SIZE);
  for (let n = 0; n < frames; n++) out.fill(n % 256, n * SIZE, (n + 1) * SIZE);
  return out;
}

function cut(bytes: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const n = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + n));
    offset += n;
  }
  return chunks;
}

describe('createFrameSplitter', () => {
  it.each([[[1]], [[5]], [[12]], [[13]], [[7, 30, 1]], [[100]], [[11, 1, 24]]])('cuts chunks of sizes %j into whole frames', (sizes) => {
    const seen: number[][] = [];
    const splitter = createFrameSplitter({
      width: W,
      height: H,
      ringSize: 3,
      onFrame: (frame) => {
        seen.push([frame.index, ...new Set(frame.data)]);
        splitter.release(frame);
      },
    });
    let done = 0;
    for (const chunk of cut(stream(10), sizes)) splitter.write(chunk, () => done++);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, n) => [n, n]));
    expect(done).toBe(cut(stream(10), sizes).length);
    expect(splitter.pending).toBe(0);
  });

  it('keeps a trailing partial frame until the rest arrives', () => {
    const seen: number[] = [];
    const splitter = createFrameSplitter({
      width: W,
      height: H,
      onFrame: (f) => {
        seen.push(f.index);
        splitter.release(f);
      },
    });
    const bytes = stream(2);
    splitter.write(bytes.subarray(0, 17), () => {});
    expect(seen).toEqual([0]);
    splitter.write(bytes.subarray(17), () => {});
    expect(seen).toEqual([0, 1]);
  });

  it('never reuses a buffer that is still pending, and holds the chunk callback meanwhile', () => {
    const pending: Frame[] = [];
    const copies: Buffer[] = [];
    const splitter = createFrameSplitter({
      width: W,
      height: H,
      ringSize: 2,
      onFrame: (frame) => {
        pending.push(frame);
        copies.push(Buffer.from(frame.data));
      },
    });
    let done = 0;
    // Five frames in one chunk, with only two buffers in the ring.
    splitter.write(stream(5), () => done++);
    expect(pending.map((f) => f.index)).toEqual([0, 1]);
    expect(splitter.pending).toBe(2);
    expect(done).toBe(0);
    // The held frames are untouched although more bytes are waiting.
    expect(pending.map((f) => f.data.equals(copies[f.index]!))).toEqual([true, true]);
    expect(() => splitter.write(stream(1), () => {})).toThrow(/before the previous chunk/);

    splitter.release(pending.shift()!);
    expect(pending.map((f) => f.index)).toEqual([1, 2]);
    expect(pending[0]!.data.equals(copies[1]!)).toBe(true);
    expect(done).toBe(0);
    while (pending.length) splitter.release(pending.shift()!);
    expect(done).toBe(1);
    expect(copies.map((c) => c[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it('uses preallocated buffers only: every frame is one of the ring', () => {
    const buffers = new Set<Buffer>();
    const splitter = createFrameSplitter({
      width: W,
      height: H,
      ringSize: 3,
      onFrame: (f) => {
        buffers.add(f.data);
        splitter.release(f);
      },
    });
    for (const chunk of cut(stream(50), [7])) splitter.write(chunk, () => {});
    expect(buffers.size).toBe(3);
  });

  it('holds frames while blocked (encoder stdin full) and goes on after unblock', () => {
    const seen: number[] = [];
    const splitter = createFrameSplitter({
      width: W,
      height: H,
      ringSize: 4,
      onFrame: (f) => {
        seen.push(f.index);
        splitter.release(f);
      },
    });
    let done = 0;
    splitter.block();
    splitter.write(stream(3), () => done++);
    expect(seen).toEqual([]);
    splitter.unblock();
    expect(seen).toEqual([0, 1, 2]);
    expect(done).toBe(1);
  });

  it('pauses a piped source through its Writable until frames are released', async () => {
    const held: Frame[] = [];
    const splitter = createFrameSplitter({ width: W, height: H, ringSize: 2, onFrame: (f) => held.push(f) });
    const source = Readable.from(cut(stream(40), [5]), { objectMode: false });
    const flowing = pipeline(source, splitter.writable());
    await new Promise((r) => setTimeout(r, 20));
    // Only the ring's two frames came out: the source is paused behind the held chunk.
    expect(held.length).toBe(2);
    const release = setInterval(() => {
      const f = held.shift();
      if (f) splitter.release(f);
    }, 1);
    await flowing;
    clearInterval(release);
    expect(splitter.count).toBe(40);
  });
});
