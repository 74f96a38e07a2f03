// The encoder's second output for WebRTC: the same encode through the tee muxer, so HLS gets the
// very bytes it got before and the H.264 pipe gets one access unit per frame.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AccessUnitSplitter, isKeyframe, NAL_TYPES, nalType, nalUnits } from '@hls-live/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderArgs, VIDEO_PIPE_FD, type EncoderFormat } from '../../src/ffmpeg/args.js';

const run = promisify(execFile);
const FRAMES = 90;
let dir: string;
let raw: Buffer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'video-pipe-'));
  raw = (
    await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=30',
        '-frames:v',
        String(FRAMES),
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        'pipe:1',
      ],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
    )
  ).stdout;
});
afterAll(() => (process.env.KEEP ? undefined : rm(dir, { recursive: true, force: true })));

/** Runs the encoder on the raw frames; resolves with its segment list, segment hashes and fd-3 bytes. */
async function encode(name: string, format: Partial<EncoderFormat>): Promise<{ list: string; hashes: string[]; video: Buffer }> {
  const out = join(dir, name);
  await run('mkdir', ['-p', out]);
  const args = encoderArgs({ width: 320, height: 240, fps: 30, bitrate: 600_000, segmentSeconds: 1, segmentPattern: join(out, 's-%05d.ts'), ...format });
  const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  let list = '';
  let stderr = '';
  const video: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => (list += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  (child.stdio[VIDEO_PIPE_FD] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => video.push(chunk));
  child.stdin.end(raw);
  const code = await new Promise((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`ffmpeg exited ${code}: ${stderr}`);
  const names = (await readdir(out)).sort();
  const hashes = await Promise.all(
    names.map(async (n) =>
      createHash('sha256')
        .update(await readFile(join(out, n)))
        .digest('hex'),
    ),
  );
  return { list, hashes, video: Buffer.concat(video) };
}

/** The access units of an Annex B stream, each without access unit delimiters (the MPEG-TS muxer adds them). */
function accessUnits(stream: Buffer): string[] {
  const splitter = new AccessUnitSplitter();
  return [...splitter.push(stream), ...splitter.flush()].map((unit) =>
    nalUnits(unit)
      .filter((nal) => nalType(nal) !== NAL_TYPES.AUD)
      .map((nal) => Buffer.from(nal).toString('hex'))
      .join('|'),
  );
}

describe('the encoder with a video pipe for WebRTC', () => {
  it('sends the very access units it segments (one encode) on fd 3, and lists the same segments as without the pipe', async () => {
    const piped = await encode('piped', { videoPipe: true });
    const plain = await encode('plain', { profile: 'baseline' });
    expect(plain.video.length).toBe(0);
    // The same segments: names, starts and ends (HLS behaves as without the pipe).
    expect(piped.list.trim().split('\n')).toHaveLength(3);
    expect(piped.list.replaceAll(join(dir, 'piped'), '')).toBe(plain.list.replaceAll(join(dir, 'plain'), ''));
    // The same timestamps (the tee output is given the command line's mux delay).
    const start = async (name: string) =>
      (await run('ffprobe', ['-v', 'error', '-show_entries', 'format=start_time', '-of', 'csv=p=0', join(dir, name, 's-00000.ts')])).stdout.trim();
    expect(await start('piped')).toBe(await start('plain'));
    // The H.264 on fd 3 is the H.264 in the segments, byte for byte: no second encode.
    const names = piped.hashes.map((_, i) => join(dir, 'piped', `s-${String(i).padStart(5, '0')}.ts`));
    const inSegments = (
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', `concat:${names.join('|')}`, '-c', 'copy', '-f', 'h264', 'pipe:1'], {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      })
    ).stdout;
    const units = accessUnits(piped.video);
    expect(units).toHaveLength(FRAMES);
    expect(units).toEqual(accessUnits(inSegments));
    const splitter = new AccessUnitSplitter();
    expect([...splitter.push(piped.video), ...splitter.flush()].flatMap((unit, i) => (isKeyframe(unit) ? [i] : []))).toEqual([0, 30, 60]);
    // Constrained Baseline: profile_idc 66 with constraint_set1 in the SPS.
    const sps = piped.video.subarray(piped.video.indexOf(Buffer.from([0, 0, 1, 0x67])) + 4);
    expect(sps[0]).toBe(66);
    expect(sps[1]! & 0x40).toBe(0x40);
  });
});
