// Test media made at test time with ffmpeg: sample photos and test-pattern frames as raw yuv420p / rgb24.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const DEMO_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
export const TS_REGISTER = fileURLToPath(new URL('../fixtures/ts-register.mjs', import.meta.url));

export interface LabelledImage {
  file: string;
  width: number;
  height: number;
  faces: Array<[number, number, number, number]>;
}

export function faceLabels(): LabelledImage[] {
  const text = readFileSync(new URL('../fixtures/face-labels.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { images: LabelledImage[] }).images;
}

function ffmpeg(args: string[]): Buffer {
  return execFileSync('ffmpeg', ['-v', 'error', '-nostdin', ...args], { maxBuffer: 256 * 1024 * 1024 });
}

/** One image file scaled to width x height (aspect not kept), as raw frames. */
export function decodeImage(file: string, width: number, height: number, pixFmt: 'yuv420p' | 'rgb24' = 'yuv420p'): Buffer {
  return ffmpeg(['-i', file, '-vf', `scale=${width}:${height}`, '-frames:v', '1', '-pix_fmt', pixFmt, '-f', 'rawvideo', '-']);
}

/** `count` frames of ffmpeg's testsrc2 pattern, one second apart, as yuv420p. */
export function testPatternFrames(width: number, height: number, count: number): Buffer[] {
  const all = ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=1`,
    '-frames:v',
    String(count),
    '-pix_fmt',
    'yuv420p',
    '-f',
    'rawvideo',
    '-',
  ]);
  const size = (width * height * 3) / 2;
  return Array.from({ length: count }, (_, i) => all.subarray(i * size, (i + 1) * size));
}

/** A labelled sample as a 640-wide yuv420p frame (even height, aspect kept) with its faces in frame pixels. */
export function sampleFrame(
  image: LabelledImage,
  width = 640,
): { data: Buffer; width: number; height: number; faces: Array<{ x: number; y: number; w: number; h: number }> } {
  const height = Math.round((image.height * width) / image.width / 2) * 2;
  const kx = width / image.width;
  const ky = height / image.height;
  return {
    data: decodeImage(path.join(DEMO_DIR, image.file), width, height),
    width,
    height,
    faces: image.faces.map(([x, y, w, h]) => ({ x: x * kx, y: y * ky, w: w * kx, h: h * ky })),
  };
}
