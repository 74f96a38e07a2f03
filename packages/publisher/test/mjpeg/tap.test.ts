import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamer, type Streamer } from '@hls-live/streamer';
import { pino } from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMjpegTap, type MjpegTap } from '../../src/mjpeg/tap.js';
import { isAlive } from '../helpers/media.js';
import { feed, inspectJpeg, makeRawFrames, openViewer, sleep, until, type Feeder, type Viewer } from './helpers.js';

const W = 640;
const H = 480;
let frames: Buffer[];
const cleanups: Array<() => unknown> = [];

beforeAll(async () => {
  frames = await makeRawFrames(W, H, 30);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function streamer(options: Parameters<typeof createStreamer>[0] = {}, port = 0): Promise<{ streamer: Streamer; url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mjpeg-tap-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const s = createStreamer({ mediaDir: join(dir, 'media'), logger: pino({ level: 'silent' }), ...options });
  const { url } = await s.listen(port, '127.0.0.1');
  cleanups.push(() => s.close());
  return { streamer: s, url };
}

async function tap(options: Parameters<typeof createMjpegTap>[0]): Promise<MjpegTap> {
  const t = createMjpegTap({ retryMinMs: 50, retryMaxMs: 200, ...options });
  await t.start({ width: W, height: H, fps: 30 });
  cleanups.push(() => t.stop());
  return t;
}

function feeding(t: MjpegTap): Feeder {
  const f = feed(t, frames, W, H, 30);
  cleanups.push(() => f.stop());
  return f;
}

async function viewer(url: string): Promise<Viewer> {
  const v = await openViewer(url);
  cleanups.push(() => v.close());
  return v;
}

describe('the MJPEG tap against a real streamer', () => {
  it('sends decodable JPEGs of the asked size at the asked rate, with capture times', async () => {
    const { url } = await streamer({ publishToken: 'secret' });
    const t = await tap({ streamer: url, token: 'secret', fps: 10, size: { width: 320, height: 240 }, quality: 4 });
    const fed = feeding(t);
    const v = await viewer(url);
    await until('24 JPEGs', () => v.parts.length >= 24);
    const started = v.parts[1]!.receivedAt;
    await until('10 more', () => v.parts.length >= 34);
    const fps = (v.parts.length - 2) / ((Date.now() - started) / 1000);
    expect(fps).toBeGreaterThan(6);
    expect(fps).toBeLessThan(12.5);
    for (const part of v.parts.slice(1, 24)) {
      const info = await inspectJpeg(part.body);
      expect(info).toMatchObject({ codec: 'mjpeg', width: 320, height: 240 });
      // The pipeline zeroes its buffer right after process(): a tap that kept it would send blank pictures.
      expect(info.lumaStdDev).toBeGreaterThan(20);
      expect(fed.captureTimes).toContain(Number(part.headers['x-capture-time']));
    }
    expect(t.stats()).toMatchObject({ demand: true, connected: true });
    expect(t.stats().sent).toBeGreaterThanOrEqual(24);
  });

  it('does no JPEG work without viewers, and resumes within a second when one arrives', async () => {
    const { url } = await streamer({ mjpegIdleSeconds: 0.5 });
    const t = await tap({ streamer: url, idleStopMs: 300 });
    feeding(t);
    await until('connected', () => t.stats().connected);
    await sleep(800);
    expect(t.stats()).toMatchObject({ demand: false, encoded: 0, sent: 0, encoderPid: undefined });

    let v = await viewer(url);
    let arrived = Date.now();
    await until('first JPEG', () => v.parts.length >= 1, 1000);
    expect(Date.now() - arrived).toBeLessThan(1000);
    const pid = t.stats().encoderPid!;
    expect(isAlive(pid)).toBe(true);

    v.close();
    await until('demand off', () => !t.stats().demand, 2000);
    const encoded = t.stats().encoded;
    await until('encoder stopped', () => t.stats().encoderPid === undefined && !isAlive(pid), 2000);
    await sleep(300);
    expect(t.stats().encoded).toBe(encoded);

    v = await viewer(url);
    arrived = Date.now();
    await until('JPEGs again', () => v.parts.length >= 3, 2000);
    expect(v.parts[1]!.receivedAt - arrived).toBeLessThan(1000);
    expect(t.stats().encoded).toBeGreaterThan(encoded);
  });

  it('reconnects to a restarted streamer, and kills its ffmpeg on stop', async () => {
    const first = await streamer();
    const port = Number(new URL(first.url).port);
    const t = await tap({ streamer: first.url });
    feeding(t);
    const v1 = await viewer(first.url);
    await until('frames', () => v1.parts.length >= 2);
    const pid = t.stats().encoderPid!;
    await first.streamer.close();
    await until('disconnected', () => !t.stats().connected);

    const second = await streamer({}, port);
    const v2 = await viewer(second.url);
    await until('frames after the restart', () => v2.parts.length >= 3);
    await t.stop();
    expect(t.stats().encoderPid).toBeUndefined();
    expect(isAlive(pid)).toBe(false);
  });

  it('reports a refused token as fatal and stops trying', async () => {
    const { url, streamer: s } = await streamer({ publishToken: 'secret' });
    const errors: Error[] = [];
    const t = await tap({ streamer: url, token: 'wrong', onFatal: (e) => errors.push(e) });
    await until('fatal', () => errors.length === 1);
    expect(errors[0]).toMatchObject({ code: 'UNAUTHORIZED' });
    await sleep(300);
    expect(errors).toHaveLength(1);
    expect(t.stats().connected).toBe(false);
    expect(s.mjpeg.stats().publisher).toBe(false);
  });

  it('does nothing at all with --mjpeg off', async () => {
    const { url, streamer: s } = await streamer();
    const t = await tap({ streamer: url, enabled: false });
    feeding(t);
    await viewer(url);
    await sleep(500);
    expect(t.stats()).toMatchObject({ connected: false, encoded: 0, encoderPid: undefined });
    expect(s.mjpeg.stats().publisher).toBe(false);
  });
});
