// Face boxes in the published video: a real publisher on a still photo with faces -> streamer;
// a published segment decoded by ffmpeg has box-green pixels around each labelled face and
// nowhere else. The same check on a run with `--detector off` proves the check can fail.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

const run = promisify(execFile);
const WIDTH = 640;
const HEIGHT = 480;
const publisherDir = fileURLToPath(new URL('../../publisher/', import.meta.url));
const faceApiDemo = join(dirname(createRequire(`${publisherDir}package.json`).resolve('@vladmandic/face-api/package.json')), 'demo');

interface Labels {
  images: { file: string; width: number; height: number; faces: [number, number, number, number][] }[];
}
type Rect = { x0: number; y0: number; x1: number; y1: number };

async function faceRects(file: string): Promise<Rect[]> {
  const labels = JSON.parse(await readFile(join(publisherDir, 'test/fixtures/face-labels.json'), 'utf8')) as Labels;
  const image = labels.images.find((i) => i.file === file)!;
  const sx = WIDTH / image.width;
  const sy = HEIGHT / image.height;
  // Scaled to the stream (the publisher scales to --size) and grown by 35% for the box's margin.
  return image.faces.map(([x, y, w, h]) => ({
    x0: (x - 0.35 * w) * sx,
    y0: (y - 0.35 * h) * sy,
    x1: (x + 1.35 * w) * sx,
    y1: (y + 1.35 * h) * sy,
  }));
}

async function lastFrameRgb(url: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-frame-'));
  try {
    const out = join(dir, 'frame.rgb');
    await run('ffmpeg', ['-v', 'error', '-i', url, '-vf', 'select=eq(n\\,30)', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', out]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function countGreen(rgb: Buffer, faces: Rect[]) {
  const near = faces.map(() => 0);
  let elsewhere = 0;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      if (!(rgb[i + 1]! > 170 && rgb[i]! < 100 && rgb[i + 2]! < 100)) continue;
      const face = faces.findIndex((r) => x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1);
      if (face >= 0) near[face]!++;
      else elsewhere++;
    }
  }
  return { near, elsewhere };
}

async function publishPhoto(streamer: RunningStreamer, detector: string): Promise<{ publisher: Spawned; segmentUrl: string }> {
  const publisher = startPublisher(streamer.url, [
    '--input',
    join(faceApiDemo, 'sample1.jpg'),
    '--size',
    `${WIDTH}x${HEIGHT}`,
    '--fps',
    '25',
    '--detector',
    detector,
    '--mjpeg',
    'off',
  ]);
  const segment = await waitFor(
    'a second segment',
    async () => {
      const { playlist } = await fetchPlaylist(streamer.url);
      // The second segment: by then the detector has answered and the boxes are steady.
      return playlist.segments[1];
    },
    60_000,
  );
  return { publisher, segmentUrl: new URL(segment.uri, `${streamer.url}/stream.m3u8`).href };
}

describe('face boxes in the stream', () => {
  let streamer: RunningStreamer | undefined;
  let publisher: Spawned | undefined;

  afterEach(async () => {
    await stopAll(publisher);
    await streamer?.close();
  });

  it('draws a box around every labelled face and nothing elsewhere', async () => {
    streamer = await startStreamer();
    const published = await publishPhoto(streamer, 'blazeface');
    publisher = published.publisher;
    const faces = await faceRects('sample1.jpg');
    const green = countGreen(await lastFrameRgb(published.segmentUrl), faces);
    // A 3 px box around a ~60x80 px face is several hundred pixels; stray green would be noise.
    for (const count of green.near) expect(count, JSON.stringify(green)).toBeGreaterThan(200);
    expect(green.elsewhere, JSON.stringify(green)).toBeLessThan(50);
  });

  it('draws nothing with --detector off (so the check above can fail)', async () => {
    streamer = await startStreamer();
    const published = await publishPhoto(streamer, 'off');
    publisher = published.publisher;
    const green = countGreen(await lastFrameRgb(published.segmentUrl), await faceRects('sample1.jpg'));
    for (const count of green.near) expect(count).toBeLessThan(20);
  });
});
