// Real MPEG-TS made by ffmpeg at test time, into a temporary folder (never committed).
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function tempDir(prefix = 'streamer-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** `count` consecutive H.264 segments of `seconds` each, cut by ffmpeg's segment muxer. */
export async function makeSegments(dir: string, count: number, seconds = 1, size = '160x120'): Promise<Buffer[]> {
  const rate = 25;
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=${size}:rate=${rate}`,
    '-t',
    String(count * seconds),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(Math.round(seconds * rate)),
    '-f',
    'segment',
    '-segment_time',
    String(seconds),
    '-segment_format',
    'mpegts',
    join(dir, 'fixture-%03d.ts'),
  ]);
  const names = (await readdir(dir)).filter((n) => n.startsWith('fixture-')).sort();
  return Promise.all(names.map((n) => readFile(join(dir, n))));
}

/** One small valid segment, enough where only the framing matters. */
export async function makeSegment(dir: string): Promise<Buffer> {
  const [first] = await makeSegments(dir, 1, 0.2);
  if (!first) throw new Error('ffmpeg made no segment');
  return first;
}
