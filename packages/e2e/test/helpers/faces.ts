// The labelled face photo and the check that face boxes were burned into published video: box-green
// pixels counted near each labelled face and elsewhere in one decoded frame.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const publisherDir = fileURLToPath(new URL('../../../publisher/', import.meta.url));
const faceApiDemo = join(dirname(createRequire(`${publisherDir}package.json`).resolve('@vladmandic/face-api/package.json')), 'demo');

/** face-api's demo photo with three labelled faces (packages/publisher/test/fixtures/face-labels.json). */
export const FACE_PHOTO = join(faceApiDemo, 'sample1.jpg');

interface Labels {
  images: { file: string; width: number; height: number; faces: [number, number, number, number][] }[];
}
export type Rect = { x0: number; y0: number; x1: number; y1: number };

/** The labelled faces of `file`, scaled to a `width`x`height` stream and grown by 35% for the box's margin. */
export async function faceRects(file: string, width: number, height: number): Promise<Rect[]> {
  const labels = JSON.parse(await readFile(join(publisherDir, 'test/fixtures/face-labels.json'), 'utf8')) as Labels;
  const image = labels.images.find((i) => i.file === file)!;
  const sx = width / image.width;
  const sy = height / image.height;
  return image.faces.map(([x, y, w, h]) => ({
    x0: (x - 0.35 * w) * sx,
    y0: (y - 0.35 * h) * sy,
    x1: (x + 1.35 * w) * sx,
    y1: (y + 1.35 * h) * sy,
  }));
}

/** Frame 30 of the video at `url`, decoded to RGB24. */
export async function frameRgb(url: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-frame-'));
  try {
    const out = join(dir, 'frame.rgb');
    await run('ffmpeg', ['-v', 'error', '-i', url, '-vf', 'select=eq(n\\,30)', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', out]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Box-green pixels inside each face rectangle, and outside all of them. */
export function countGreen(rgb: Buffer, faces: Rect[], width: number, height: number): { near: number[]; elsewhere: number } {
  const near = faces.map(() => 0);
  let elsewhere = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (!(rgb[i + 1]! > 170 && rgb[i]! < 100 && rgb[i + 2]! < 100)) continue;
      const face = faces.findIndex((r) => x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1);
      if (face >= 0) near[face]!++;
      else elsewhere++;
    }
  }
  return { near, elsewhere };
}
