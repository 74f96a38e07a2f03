// Test tools for the MJPEG tap: synthetic raw frames fed like the pipeline feeds them (one
// reused buffer, overwritten right after `process`), and a viewer parsing GET /mjpeg.
import { execFile } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FrameStage } from '../../src/pipeline/stage.js';

const run = promisify(execFile);

/** `count` yuv420p testsrc2 frames of `width`x`height`. */
export async function makeRawFrames(width: number, height: number, count: number): Promise<Buffer[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=10`,
      '-frames:v',
      String(count),
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const size = (width * height * 3) / 2;
  return Array.from({ length: count }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

export interface Feeder {
  /** Frames given to the stage so far, with their capture times. */
  readonly captureTimes: number[];
  stop(): void;
}

/** Calls `stage.process` at `fps` like the frame loop; the buffer is zeroed as soon as it returns. */
export function feed(stage: FrameStage, frames: Buffer[], width: number, height: number, fps: number): Feeder {
  const ring = Buffer.alloc(frames[0]!.length);
  const captureTimes: number[] = [];
  let index = 0;
  const timer = setInterval(() => {
    frames[index % frames.length]!.copy(ring);
    const captureTime = Date.now();
    captureTimes.push(captureTime);
    stage.process({ data: ring, width, height, index: index++, captureTime });
    ring.fill(0);
  }, 1000 / fps);
  return { captureTimes, stop: () => clearInterval(timer) };
}

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
  receivedAt: number;
}

export interface Viewer {
  readonly res: IncomingMessage;
  readonly parts: Part[];
  close(): void;
}

export function openViewer(base: string): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/mjpeg`, (res) => {
      const marker = Buffer.from(`--${/boundary=([^;]+)/.exec(res.headers['content-type'] ?? '')?.[1]}\r\n`);
      const parts: Part[] = [];
      let pending = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const start = pending.indexOf(marker);
          const headEnd = start < 0 ? -1 : pending.indexOf('\r\n\r\n', start);
          if (headEnd < 0) return;
          const headers = Object.fromEntries(
            pending
              .subarray(start + marker.length, headEnd)
              .toString('latin1')
              .split('\r\n')
              .map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
          );
          const length = Number(headers['content-length']);
          if (pending.length < headEnd + 4 + length) return;
          parts.push({ headers, body: Buffer.from(pending.subarray(headEnd + 4, headEnd + 4 + length)), receivedAt: Date.now() });
          pending = pending.subarray(headEnd + 4 + length);
        }
      });
      res.on('error', () => {});
      resolve({ res, parts, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

export interface JpegInfo {
  codec: string;
  width: number;
  height: number;
  /** Standard deviation of the luma: about 0 for a blank picture. */
  lumaStdDev: number;
}

/** Decodes a JPEG with ffprobe and ffmpeg. */
export async function inspectJpeg(jpeg: Buffer): Promise<JpegInfo> {
  const dir = await mkdtemp(join(tmpdir(), 'mjpeg-test-'));
  try {
    const path = join(dir, 'frame.jpg');
    await writeFile(path, jpeg);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', path]);
    const stream = JSON.parse(stdout).streams[0];
    const gray = (await run('ffmpeg', ['-v', 'error', '-i', path, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], { encoding: 'buffer' })).stdout;
    const mean = gray.reduce((n, b) => n + b, 0) / gray.length;
    const variance = gray.reduce((n, b) => n + (b - mean) ** 2, 0) / gray.length;
    return { codec: stream.codec_name, width: stream.width, height: stream.height, lumaStdDev: Math.sqrt(variance) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
