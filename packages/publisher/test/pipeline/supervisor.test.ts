// The supervisor against real child processes: the fake ffmpeg exits with an error on demand.
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FfmpegExitError } from '../../src/errors.js';
import { spawnFfmpeg, type FfmpegProcess } from '../../src/ffmpeg/process.js';
import { createFrameSplitter } from '../../src/pipeline/frames.js';
import type { Frame } from '../../src/pipeline/stage.js';
import { supervise } from '../../src/pipeline/supervisor.js';
import { backoff } from '../../src/retry/backoff.js';

const fake = fileURLToPath(new URL('../fixtures/fake-ffmpeg.mjs', import.meta.url));
const logger = pino({ level: 'silent' });

describe('supervise', () => {
  it('restarts a process that keeps exiting, after the backoff, until stopped', async () => {
    const spawned: FfmpegProcess[] = [];
    const spawn = () => {
      const proc = spawnFfmpeg({ path: fake, args: ['fail', '1'], role: 'encoder' });
      spawned.push(proc);
      return proc;
    };
    const started = Date.now();
    const supervisor = supervise(spawn(), { role: 'encoder', spawn, onRestart: () => {}, logger, backoff: backoff({ minMs: 100, maxMs: 200 }) });
    while (supervisor.restarts < 3) await new Promise((r) => setTimeout(r, 20));
    // Delays 100 + 200 + 200 ms at least.
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    supervisor.stop();
    await Promise.all(spawned.map((p) => p.exited));
    const count = spawned.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(spawned.length).toBe(count);
  });

  it('gives up after max exits within the window and reports the last one', async () => {
    const spawned: FfmpegProcess[] = [];
    const spawn = () => {
      const proc = spawnFfmpeg({ path: fake, args: ['fail', '3'], role: 'encoder' });
      spawned.push(proc);
      return proc;
    };
    const gaveUp = new Promise<FfmpegExitError>((resolve) => {
      supervise(spawn(), {
        role: 'encoder',
        spawn,
        onRestart: () => {},
        logger,
        backoff: backoff({ minMs: 10, maxMs: 10 }),
        giveUp: { max: 3, windowMs: 60_000, onGiveUp: resolve },
      });
    });
    const error = await gaveUp;
    expect(error).toMatchObject({ code: 'FFMPEG_EXIT', role: 'encoder', exitCode: 3 });
    expect(spawned).toHaveLength(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(spawned).toHaveLength(3);
  });
});

describe('FrameSplitter.discardPartial', () => {
  it('starts the next capture on a frame boundary after one died mid-frame', () => {
    const frames: number[] = [];
    // 16x16 I420 = 384 bytes per frame.
    const splitter = createFrameSplitter({
      width: 16,
      height: 16,
      onFrame: (f: Frame) => {
        frames.push(f.data[0]!);
        splitter.release(f);
      },
    });
    splitter.write(Buffer.alloc(100, 1), () => {});
    splitter.discardPartial();
    splitter.write(Buffer.alloc(384, 2), () => {});
    expect(frames).toEqual([2]);
  });
});
