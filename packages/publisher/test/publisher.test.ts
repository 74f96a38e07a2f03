// A real pipeline: ffmpeg's test pattern -> frames -> a frame stage -> libx264 -> segments -> a
// real HTTP server recording what it gets, or the real streamer where its answers matter.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, createWriteStream, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityStage, createPublisher, FfmpegExitError, OptionError, type Frame, type FrameStage, type Publisher } from '../src/index.js';
import { startPublishServer, type PublishServer } from './helpers/publish-server.js';
import { isAlive, isMpegTs, probeFile } from './helpers/media.js';
import { startStreamer, waitFor, type RealStreamer } from './helpers/streamer.js';

let server: PublishServer;
let work: string;

beforeAll(async () => {
  server = await startPublishServer();
  work = await mkdtemp(join(tmpdir(), 'publisher-test-'));
});

afterAll(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('createPublisher on --input test', () => {
  const stageFrames: number[] = [];
  // A stage that checks it sees every frame in order with the right geometry, and marks it.
  const stage: FrameStage = {
    name: 'probe',
    async start(info) {
      expect(info).toEqual({ width: 320, height: 240, fps: 25 });
    },
    process(frame: Frame) {
      if (frame.data.length !== 320 * 240 * 1.5) throw new Error('bad frame size');
      stageFrames.push(frame.index);
    },
    async stop() {},
  };
  let publisher: Publisher;
  const pids = new Set<number>();

  beforeAll(async () => {
    publisher = createPublisher({
      input: 'test',
      streamer: server.url,
      width: 320,
      height: 240,
      fps: 25,
      segmentSeconds: 2,
      bitrate: 400_000,
      tempDir: work,
      stage,
    });
    await publisher.start();
    for (const pid of publisher.pids()) pids.add(pid);
  });

  afterAll(async () => {
    await publisher.stop();
  });

  it('publishes at least 3 segments in order: MPEG-TS, H.264 320x240, 2 s each', async () => {
    await server.waitFor('3 segments', () => server.segments().length >= 3, 15_000);
    const posts = server.segments().slice(0, 3);
    const names = posts.map((p) => p.url.split('/')[2]);
    expect(names).toEqual([0, 1, 2].map((n) => `${publisher.sessionId}-${String(n).padStart(5, '0')}.ts`));
    for (const [i, post] of posts.entries()) {
      expect(isMpegTs(post.body)).toBe(true);
      expect(post.headers['x-target-duration']).toBe('2');
      expect(post.headers['x-publisher-session']).toBe(publisher.sessionId);
      const duration = Number(post.url.split('/')[3]);
      expect(Math.abs(duration - 2)).toBeLessThanOrEqual(0.25);
      const probe = await probeFile(join(work, `probe-${i}.ts`), post.body);
      expect(probe).toMatchObject({ codec: 'h264', profile: 'Main', width: 320, height: 240 });
      expect(Math.abs(probe.seconds - duration)).toBeLessThanOrEqual(0.25);
    }
  });

  it('stamps each segment with the capture time of its first frame', () => {
    const posts = server.segments().slice(0, 3);
    const times = posts.map((p) => Date.parse(String(p.headers['x-program-date-time'])));
    expect(posts.map((p) => p.headers['x-program-date-time'])).toEqual(times.map((t) => new Date(t).toISOString()));
    for (let i = 1; i < times.length; i++) {
      const duration = Number(posts[i - 1]!.url.split('/')[3]);
      expect(Math.abs((times[i]! - times[i - 1]!) / 1000 - duration)).toBeLessThan(0.25);
    }
    // Captured before it was uploaded, and not long before (2 s of segment plus encoding).
    expect(times[0]!).toBeLessThan(posts[0]!.at);
    expect(posts[0]!.at - times[0]!).toBeLessThan(4000);
    expect(stageFrames.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('reports its status', () => {
    const status = publisher.status();
    expect(status).toMatchObject({ state: 'running', sessionId: publisher.sessionId, dropped: 0 });
    expect(status.sent).toBeGreaterThanOrEqual(3);
    expect(status.fps).toBeGreaterThanOrEqual(20);
  });

  it('on stop publishes the partial last segment, ends the stream, and leaves no ffmpeg or files', async () => {
    expect(pids.size).toBe(2);
    const before = server.segments().length;
    await publisher.stop();
    const after = server.segments();
    expect(after.length).toBeGreaterThan(before);
    const last = after.at(-1)!;
    expect(isMpegTs(last.body)).toBe(true);
    expect(Number(last.url.split('/')[3])).toBeLessThanOrEqual(2.25);
    expect(server.received.at(-1)!.url).toBe('/publish/end');
    expect(server.received.at(-1)!.headers['x-publisher-session']).toBe(publisher.sessionId);
    const names = after.map((p) => p.url.split('/')[2]);
    expect(names).toEqual([...names].sort());
    for (const pid of pids) expect(isAlive(pid), `ffmpeg ${pid} still running`).toBe(false);
    expect(publisher.pids()).toEqual([]);
    expect((await readdir(work)).filter((f) => f.startsWith('hls-publish-'))).toEqual([]);
    expect(publisher.status().state).toBe('stopped');
  });
});

// Exited and reaped: a zombie still answers kill(pid, 0) and keeps its /proc entry.
function isGone(pid: number): boolean {
  return !existsSync(`/proc/${pid}`);
}

/** A stage that needs the frames and changes nothing: it puts the publisher on the piped pipeline. */
const passthrough = (): FrameStage => ({ name: 'passthrough', needsFrames: true, async start() {}, process() {}, async stop() {} });

describe('createPublisher failures', () => {
  it('restarts a capture that dies, keeps publishing in the same session, and leaves no ffmpeg behind', async () => {
    const publisher = createPublisher({
      input: 'test',
      streamer: server.url,
      width: 160,
      height: 120,
      fps: 10,
      segmentSeconds: 0.5,
      tempDir: work,
      retryMinMs: 50,
      stage: passthrough(),
    });
    await publisher.start();
    const [capture, encoder] = publisher.pids();
    const postsBefore = server.segments().length;
    process.kill(capture!, 'SIGKILL');
    await server.waitFor('a new capture', () => publisher.pids().length === 2 && publisher.pids()[0] !== capture, 20_000);
    expect(publisher.pids()[1]).toBe(encoder);
    expect(isGone(capture!)).toBe(true);
    // Publishing resumes: segments cut after the restart arrive, under the same session.
    await server.waitFor('segments after the restart', () => server.segments().length >= postsBefore + 4, 30_000);
    expect(
      new Set(
        server
          .segments()
          .slice(postsBefore)
          .map((p) => p.headers['x-publisher-session']),
      ),
    ).toEqual(new Set([publisher.sessionId]));
    const running = publisher.pids();
    await publisher.stop();
    expect(running.every(isGone)).toBe(true);
  });

  it('refuses a missing input file before starting ffmpeg', async () => {
    const publisher = createPublisher({ input: join(work, 'missing.mp4'), streamer: server.url, tempDir: work });
    await expect(publisher.start()).rejects.toBeInstanceOf(OptionError);
    expect(publisher.pids()).toEqual([]);
    expect(existsSync(join(work, 'missing.mp4'))).toBe(false);
  });

  it.each([
    ['piped', passthrough],
    ['direct', createIdentityStage],
  ])('refuses a missing Linux camera with a hint (%s)', async (_mode, stage) => {
    const publisher = createPublisher({ device: '7', platform: 'linux', streamer: server.url, tempDir: work, stage: stage() });
    await expect(publisher.start()).rejects.toMatchObject({ code: 'DEVICE_NOT_FOUND', message: expect.stringMatching(/--list-devices/) });
    expect(publisher.pids()).toEqual([]);
  });
});

/** Pids of the ffmpeg processes whose parent is this test process. */
function ffmpegChildren(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return comm === 'ffmpeg' && ppid === process.pid ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

describe('createPublisher, encoder death (against the real streamer)', () => {
  let real: RealStreamer;
  beforeAll(async () => {
    real = await startStreamer();
  });
  afterAll(async () => {
    await real.close();
  });

  it('restarts an encoder that dies as a new session: capture runs on, new segments arrive after a discontinuity', async () => {
    const publisher = createPublisher({
      input: 'test',
      streamer: real.url,
      width: 160,
      height: 120,
      fps: 10,
      segmentSeconds: 0.5,
      bitrate: 200_000,
      tempDir: work,
      retryMinMs: 50,
      stage: passthrough(),
    });
    const errors: Error[] = [];
    publisher.on('error', (error) => errors.push(error));
    await publisher.start();
    await waitFor('2 segments', () => real.sessions().length >= 2);
    const [capture, encoder] = publisher.pids();
    process.kill(encoder!, 'SIGKILL');
    const restarted = `${publisher.sessionId}r1`;
    await waitFor('2 segments from the restarted encoder', () => real.sessions().filter((s) => s === restarted).length >= 2, 30_000);
    // The same capture fed the new encoder; the publisher never failed.
    expect(publisher.pids()).toHaveLength(2);
    expect(publisher.pids()[0]).toBe(capture);
    expect(publisher.pids()[1]).not.toBe(encoder);
    expect(isGone(encoder!)).toBe(true);
    expect(errors).toEqual([]);
    expect(publisher.status().state).toBe('running');
    const sessions = real.sessions();
    expect(sessions.slice(0, sessions.indexOf(restarted)).every((s) => s === publisher.sessionId)).toBe(true);
    const playlist = await real.playlist();
    expect(playlist).toMatch(new RegExp(`#EXT-X-DISCONTINUITY\n(#[^\n]*\n)*[^\n]*${restarted}-00000[.]ts`));
    expect(real.streamer.live.state().segments.find((s) => s.name === `${restarted}-00000.ts`)?.discontinuity).toBe(true);
    await publisher.stop();
    expect(publisher.status().state).toBe('stopped');
    expect(ffmpegChildren()).toEqual([]);
  });

  it('ends with an error after repeated encoder deaths within the window, and leaves no ffmpeg behind', async () => {
    const publisher = createPublisher({
      input: 'test',
      streamer: real.url,
      width: 160,
      height: 120,
      fps: 10,
      segmentSeconds: 0.5,
      bitrate: 200_000,
      tempDir: work,
      retryMinMs: 50,
      stage: passthrough(),
      encoderFailures: 3,
      encoderFailureWindowMs: 60_000,
    });
    const failed = new Promise<Error>((resolve) => publisher.on('error', resolve));
    let settled: Error | undefined;
    void failed.then((error) => (settled = error));
    await publisher.start();
    const killed: number[] = [];
    for (let n = 0; n < 3; n++) {
      await waitFor(`encoder ${n}`, () => publisher.pids().length === 2 && !killed.includes(publisher.pids()[1]!));
      // Not given up before the third death.
      expect(settled).toBeUndefined();
      const encoder = publisher.pids()[1]!;
      killed.push(encoder);
      process.kill(encoder, 'SIGKILL');
    }
    const error = await failed;
    expect(error).toBeInstanceOf(FfmpegExitError);
    expect(error).toMatchObject({ code: 'FFMPEG_EXIT', role: 'encoder', signal: 'SIGKILL' });
    // No fourth encoder.
    await new Promise((r) => setTimeout(r, 500));
    expect(publisher.pids()).toHaveLength(1);
    await publisher.stop();
    expect(killed.every(isGone)).toBe(true);
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe('createPublisher direct (detection and preview off)', () => {
  it('is the pipeline of a stage that needs no frames (the default identity stage)', async () => {
    expect(createIdentityStage().needsFrames).toBe(false);
  });

  it('runs exactly one ffmpeg and publishes valid segments with increasing program date-times', async () => {
    const before = server.segments().length;
    const publisher = createPublisher({
      input: 'test',
      streamer: server.url,
      width: 320,
      height: 240,
      fps: 25,
      segmentSeconds: 1,
      bitrate: 400_000,
      tempDir: work,
    });
    await publisher.start();
    expect(publisher.pids()).toHaveLength(1);
    expect(ffmpegChildren()).toEqual(publisher.pids());
    await server.waitFor('3 direct segments', () => server.segments().length >= before + 3, 15_000);
    const posts = server.segments().slice(before, before + 3);
    expect(posts.map((p) => p.url.split('/')[2])).toEqual([0, 1, 2].map((n) => `${publisher.sessionId}-${String(n).padStart(5, '0')}.ts`));
    const times = posts.map((p) => Date.parse(String(p.headers['x-program-date-time'])));
    for (const [i, post] of posts.entries()) {
      expect(isMpegTs(post.body)).toBe(true);
      expect(post.headers['x-publisher-session']).toBe(publisher.sessionId);
      const duration = Number(post.url.split('/')[3]);
      expect(Math.abs(duration - 1)).toBeLessThanOrEqual(0.25);
      const probe = await probeFile(join(work, `direct-${i}.ts`), post.body);
      expect(probe).toMatchObject({ codec: 'h264', profile: 'Main', width: 320, height: 240 });
      expect(times[i]).toBeLessThan(post.at);
      if (i > 0) expect(Math.abs((times[i]! - times[i - 1]!) / 1000 - Number(posts[i - 1]!.url.split('/')[3]))).toBeLessThan(0.25);
    }
    expect(publisher.status()).toMatchObject({ state: 'running', dropped: 0 });
    expect(publisher.status().frames).toBeGreaterThanOrEqual(50);
    expect(publisher.status().fps).toBeGreaterThan(0);
    const pids = publisher.pids();
    await publisher.stop();
    expect(server.received.at(-1)!.url).toBe('/publish/end');
    expect(pids.every(isGone)).toBe(true);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('restarts an ffmpeg that dies as a new session (the streamer marks a discontinuity)', async () => {
    const publisher = createPublisher({
      input: 'test',
      streamer: server.url,
      width: 160,
      height: 120,
      fps: 10,
      segmentSeconds: 0.5,
      tempDir: work,
      retryMinMs: 50,
    });
    await publisher.start();
    const [first] = publisher.pids();
    const postsBefore = server.segments().length;
    process.kill(first!, 'SIGKILL');
    await server.waitFor('a new ffmpeg', () => publisher.pids().length === 1 && publisher.pids()[0] !== first, 20_000);
    await server.waitFor(
      'segments after the restart',
      () =>
        server
          .segments()
          .slice(postsBefore)
          .some((p) => p.headers['x-publisher-session'] === `${publisher.sessionId}r1`),
      30_000,
    );
    const restarted = server
      .segments()
      .slice(postsBefore)
      .filter((p) => p.headers['x-publisher-session'] === `${publisher.sessionId}r1`);
    expect(restarted[0]!.url.split('/')[2]).toBe(`${publisher.sessionId}r1-00000.ts`);
    const running = publisher.pids();
    await publisher.stop();
    expect(running.every(isGone)).toBe(true);
  });

  it('dates a FIFO source by the wall clock when its writer delivers fewer frames than it declares', async () => {
    // A y4m writer that says 30 fps but writes 15 (as one that skips frames while the reader is
    // busy does). Dated by frame count, the stream would fall behind the wall clock by half of
    // every second; with arrival times the fps filter repeats frames and the dates stay true.
    const fifo = join(work, 'live.y4m');
    execFileSync('mkfifo', [fifo]);
    const out = createWriteStream(fifo);
    out.on('error', () => {});
    out.write('YUV4MPEG2 W160 H120 F30:1 Ip A1:1 C420jpeg\n');
    const frame = Buffer.concat([Buffer.from('FRAME\n'), Buffer.alloc(160 * 120 * 1.5, 128)]);
    const writer = setInterval(() => out.writableLength === 0 && out.write(frame), 1000 / 15);
    const before = server.segments().length;
    const publisher = createPublisher({ input: fifo, streamer: server.url, width: 160, height: 120, fps: 30, segmentSeconds: 1, tempDir: work });
    try {
      await publisher.start();
      await server.waitFor('6 segments', () => server.segments().length >= before + 6, 30_000);
      const posts = server.segments().slice(before, before + 6);
      // Each segment is listed right after its last frame: its end is at most a moment before it arrives.
      const lags = posts.map((p) => p.at - (Date.parse(String(p.headers['x-program-date-time'])) + Number(p.url.split('/')[3]) * 1000));
      for (const lag of lags) expect(lag).toBeGreaterThan(-100);
      expect(Math.max(...lags)).toBeLessThan(1000);
      expect(lags.at(-1)! - lags[0]!).toBeLessThan(500);
    } finally {
      clearInterval(writer);
      await publisher.stop();
      out.destroy();
      // If ffmpeg never opened the FIFO, the writer's open still waits in libuv's pool: release it.
      closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK));
    }
  });
});
