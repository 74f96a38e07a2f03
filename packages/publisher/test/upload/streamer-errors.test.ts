// The uploader against the real streamer's real error answers (packages/streamer: publish-route.ts,
// http/errors.ts), each provoked the way it happens: a name published twice (409), a segment over
// --max-segment-bytes (413), a body that is not MPEG-TS (415), a segment over the target duration
// (422), every upload slot taken (503 with Retry-After), a full disk (507, a real tmpfs).
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUploader, type Uploader, type UploaderOptions, type UploadItem } from '../../src/upload/uploader.js';
import { startStreamer, waitFor, type RealStreamer } from '../helpers/streamer.js';
import type { StreamerOptions } from '@hls-live/streamer';

const run = promisify(execFile);
let work: string;
let segments: Buffer[];
const open_: { streamer?: RealStreamer; uploader?: Uploader }[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'streamer-errors-'));
  // Real H.264 MPEG-TS, 0.5 s each, a few kB.
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=10',
    '-t',
    '2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '5',
    '-f',
    'segment',
    '-segment_time',
    '0.5',
    '-segment_format',
    'mpegts',
    join(work, 'fixture-%03d.ts'),
  ]);
  const names = (await readdir(work)).filter((n) => n.startsWith('fixture-')).sort();
  segments = await Promise.all(names.map((n) => readFile(join(work, n))));
});
afterEach(async () => {
  for (const { uploader, streamer } of open_.splice(0)) {
    await uploader?.stop();
    await streamer?.close();
  }
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function setup(streamerOptions: StreamerOptions = {}, uploaderOptions: Partial<UploaderOptions> = {}) {
  const streamer = await startStreamer(streamerOptions);
  const sent: { name: string; ms: number }[] = [];
  const uploader = createUploader({
    streamer: streamer.url,
    token: undefined,
    sessionId: 'sess',
    targetDuration: 1,
    queueLimit: 10,
    retryMinMs: 50,
    retryMaxMs: 200,
    requestTimeoutMs: 5000,
    logger: pino({ level: 'silent' }),
    onFatal: (error) => {
      throw error;
    },
    onSent: (item, ms) => sent.push({ name: item.name, ms }),
    ...uploaderOptions,
  });
  open_.push({ streamer, uploader });
  return { streamer, uploader, sent };
}

let counter = 0;
/** A local file as the publisher leaves it for the uploader (which deletes it when done). */
async function item(name: string, body: Buffer = segments[0]!, duration = 0.5): Promise<UploadItem> {
  const path = join(work, `${counter++}-${name}`);
  await writeFile(path, body);
  return { name, path, duration, programDateTime: new Date() };
}

const exists = (path: string) =>
  readFile(path).then(
    () => true,
    () => false,
  );

describe('the uploader meets the real streamer', () => {
  it('409 SEGMENT_EXISTS: drops the segment without retrying, counts it rejected, and goes on with the next', async () => {
    const { streamer, uploader, sent } = await setup();
    // Published already (e.g. a resend whose first answer was lost).
    const first = await fetch(`${streamer.url}/publish/sess-00000.ts/0.5`, { method: 'POST', body: segments[0]!, headers: { 'x-publisher-session': 'sess' } });
    expect(first.status).toBe(201);
    const twice = await item('sess-00000.ts');
    uploader.enqueue(twice);
    uploader.enqueue(await item('sess-00001.ts', segments[1]));
    await waitFor('the next segment', () => sent.length === 1);
    expect(uploader.stats()).toMatchObject({ sent: 1, rejected: 1, retries: 0, queued: 0, lastError: '409 SEGMENT_EXISTS' });
    expect(sent.map((s) => s.name)).toEqual(['sess-00001.ts']);
    expect(streamer.streamer.live.state().segments.map((s) => s.name)).toEqual(['sess-00000.ts', 'sess-00001.ts']);
    await waitFor('the file deleted', async () => !(await exists(twice.path)));
  });

  it('413 BODY_TOO_LARGE (--max-segment-bytes): drops without retrying and counts it rejected', async () => {
    const { streamer, uploader } = await setup({ maxSegmentBytes: 1000 });
    expect(segments[0]!.length).toBeGreaterThan(1000);
    uploader.enqueue(await item('sess-00000.ts'));
    uploader.enqueue(await item('sess-00001.ts', segments[1]));
    await waitFor('both refused', () => uploader.stats().rejected === 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(uploader.stats()).toMatchObject({ sent: 0, rejected: 2, retries: 0, queued: 0, lastError: '413 BODY_TOO_LARGE' });
    expect(streamer.sessions()).toEqual([]);
  });

  it('415 NOT_MPEG_TS: drops without retrying and counts it rejected', async () => {
    const { uploader, sent } = await setup();
    uploader.enqueue(await item('sess-00000.ts', Buffer.alloc(1880, 'x')));
    uploader.enqueue(await item('sess-00001.ts'));
    await waitFor('the next segment', () => sent.length === 1);
    expect(uploader.stats()).toMatchObject({ sent: 1, rejected: 1, retries: 0, lastError: '415 NOT_MPEG_TS' });
  });

  it('422 SEGMENT_TOO_LONG (over the declared target duration): drops without retrying and counts it rejected', async () => {
    const { uploader, sent } = await setup();
    uploader.enqueue(await item('sess-00000.ts', segments[0], 2.5));
    uploader.enqueue(await item('sess-00001.ts'));
    await waitFor('the next segment', () => sent.length === 1);
    expect(uploader.stats()).toMatchObject({ sent: 1, rejected: 1, retries: 0, lastError: '422 SEGMENT_TOO_LONG' });
  });

  it('503 TOO_MANY_UPLOADS: retries, not before its Retry-After, and delivers once a slot is free', async () => {
    const { streamer, uploader, sent } = await setup({ maxUploads: 1 });
    // A slow upload holds the only slot: headers and one packet of a body that never ends.
    const port = Number(new URL(streamer.url).port);
    const slow: Socket = connect(port, '127.0.0.1');
    slow.on('error', () => {});
    slow.write(`POST /publish/other-00000.ts/0.5 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp2t\r\nContent-Length: 100000\r\n\r\n`);
    slow.write(segments[0]!.subarray(0, 188));
    await waitFor('the slot taken', async () => (await fetch(`${streamer.url}/publish/probe.ts/0.5`, { method: 'POST', body: segments[0]! })).status === 503);
    const probe = await fetch(`${streamer.url}/publish/probe.ts/0.5`, { method: 'POST', body: segments[0]! });
    expect(probe.headers.get('retry-after')).toBe('1');
    uploader.enqueue(await item('sess-00000.ts'));
    // Freed long before the Retry-After second is up: a retry after 50 ms of backoff would get through at once.
    setTimeout(() => slow.destroy(), 300);
    await waitFor('delivered', () => sent.length === 1, 10_000);
    console.info(`503 with Retry-After: 1: delivered after ${Math.round(sent[0]!.ms)} ms, ${uploader.stats().retries} retries`);
    expect(sent[0]!.ms).toBeGreaterThanOrEqual(950);
    expect(sent[0]!.ms).toBeLessThan(3000);
    expect(uploader.stats()).toMatchObject({ sent: 1, rejected: 0, lastError: '503 TOO_MANY_UPLOADS' });
    expect(uploader.stats().retries).toBeGreaterThanOrEqual(1);
  });

  describe('507 STORAGE_FULL', () => {
    let mount: string | undefined;
    let whyNoMount = '';
    beforeAll(async () => {
      const point = join(work, 'tiny');
      await mkdir(point);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', point], { stdio: 'pipe' });
        mount = point;
      } catch (error) {
        whyNoMount = String((error as { stderr?: Buffer }).stderr ?? error).trim();
      }
    });
    afterAll(() => {
      if (mount) execFileSync('umount', [mount]);
    });

    it('retries while the disk is full (nothing rejected or dropped) and delivers once there is room', async (ctx) => {
      if (!mount) ctx.skip(`cannot mount a tmpfs here (${whyNoMount}); run as root on Linux to test ENOSPC`);
      const { streamer, uploader, sent } = await setup({ mediaDir: join(mount!, 'media') });
      uploader.enqueue(await item('sess-00000.ts'));
      await waitFor('the first segment', () => sent.length === 1);
      // Fill the file system until it says ENOSPC.
      const filler = join(mount!, 'filler');
      const handle = await open(filler, 'w');
      try {
        for (;;) await handle.write(Buffer.alloc(64 * 1024));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        await handle.close();
      }
      uploader.enqueue(await item('sess-00001.ts', segments[1]));
      await waitFor('three refusals', () => uploader.stats().retries >= 3);
      expect(uploader.stats()).toMatchObject({ sent: 1, rejected: 0, dropped: 0, queued: 1, lastError: '507 STORAGE_FULL' });
      await rm(filler);
      await waitFor('delivered after the disk has room', () => sent.length === 2, 5000);
      expect(uploader.stats()).toMatchObject({ sent: 2, rejected: 0, queued: 0 });
      expect(streamer.sessions()).toHaveLength(2);
    });
  });
});
