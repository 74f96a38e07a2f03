import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/fixtures.js';
import { connectPublisher, makeJpegs, openViewer, until, type MjpegViewer } from '../helpers/mjpeg.js';
import { raw, useServers } from '../helpers/server.js';

let small: Buffer[];
let large: Buffer[];
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const server = useServers();
const viewers: MjpegViewer[] = [];

beforeAll(async () => {
  fixtures = await tempDir();
  small = await makeJpegs(fixtures.path, 30, '320x240');
  large = await makeJpegs(fixtures.path, 20, '1280x720', 2);
});
afterEach(async () => {
  for (const v of viewers.splice(0)) v.close();
});
afterAll(() => fixtures.remove());

async function viewer(port: number): Promise<MjpegViewer> {
  const v = await openViewer(port);
  viewers.push(v);
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('GET /mjpeg', () => {
  it('fans every frame out to every viewer as whole JPEGs with their capture time', async () => {
    const s = await server();
    const publisher = await connectPublisher(s.port);
    const [a, b] = [await viewer(s.port), await viewer(s.port)];
    expect(a.res.statusCode).toBe(200);
    expect(a.res.headers['content-type']).toBe('multipart/x-mixed-replace; boundary=mjpegframe');
    expect(a.res.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(a.res.headers['access-control-allow-origin']).toBe('*');
    await until('two viewers', () => s.streamer.mjpeg.stats().viewers === 2);
    const times: number[] = [];
    for (const [i, jpeg] of small.entries()) {
      times.push(1_700_000_000_000 + i * 100);
      await publisher.send(jpeg, times[i]);
      // In step with the viewers: both keep up, so none may skip.
      await Promise.all([a.waitForParts(i + 1), b.waitForParts(i + 1)]);
    }
    for (const v of [a, b]) {
      expect(v.parts).toHaveLength(small.length);
      v.parts.forEach((part, i) => {
        expect(part.headers['content-type']).toBe('image/jpeg');
        expect(Number(part.headers['content-length'])).toBe(small[i]!.length);
        expect(Number(part.headers['x-capture-time'])).toBe(times[i]);
        expect(part.body.equals(small[i]!)).toBe(true);
      });
    }
    expect(s.streamer.mjpeg.stats()).toMatchObject({ frames: small.length, sent: 2 * small.length, skipped: 0 });
    await publisher.close();
  });

  it('answers HEAD with the headers only, without adding a viewer', async () => {
    const s = await server();
    const res = await raw(s.port, { method: 'HEAD', path: '/mjpeg' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('multipart/x-mixed-replace; boundary=mjpegframe');
    expect(res.body.length).toBe(0);
    expect(s.streamer.mjpeg.stats().viewers).toBe(0);
  });

  it('starts a new viewer with the latest frame', async () => {
    const s = await server();
    const publisher = await connectPublisher(s.port);
    await publisher.send(small[0]!);
    await publisher.send(small[1]!);
    await until('two frames', () => s.streamer.mjpeg.stats().frames === 2);
    const v = await viewer(s.port);
    await v.waitForParts(1);
    expect(v.parts[0]!.body.equals(small[1]!)).toBe(true);
  });

  it('removes a viewer that disconnects at once', async () => {
    const s = await server();
    const publisher = await connectPublisher(s.port);
    await publisher.send(small[0]!);
    const v = await viewer(s.port);
    await v.waitForParts(1);
    expect(s.streamer.mjpeg.stats().viewers).toBe(1);
    v.close();
    const closedAt = Date.now();
    await until('viewer removed', () => s.streamer.mjpeg.stats().viewers === 0, 1000);
    expect(Date.now() - closedAt).toBeLessThan(500);
    await publisher.send(small[1]!);
    expect(s.streamer.mjpeg.stats().sent).toBe(1);
  });

  it('keeps viewers open with the last frame while the publisher is away, and resumes on reconnect', async () => {
    const s = await server();
    const first = await connectPublisher(s.port);
    const v = await viewer(s.port);
    await first.send(small[0]!);
    await v.waitForParts(1);
    await first.close();
    await until('publisher gone', () => !s.streamer.mjpeg.stats().publisher);
    let ended = false;
    v.res.once('end', () => (ended = true));
    await sleep(300);
    expect(ended).toBe(false);
    expect(v.res.destroyed).toBe(false);
    const snap = await raw(s.port, { path: '/snapshot.jpg' });
    expect(snap.body.equals(small[0]!)).toBe(true);

    const second = await connectPublisher(s.port);
    await second.send(small[5]!);
    await v.waitForParts(2);
    expect(v.parts[1]!.body.equals(small[5]!)).toBe(true);
    await second.close();
  });

  it('skips frames for slow viewers instead of buffering them: 50 paused viewers, memory flat, a fast viewer unaffected', async () => {
    const s = await server();
    const publisher = await connectPublisher(s.port);
    const slow = await Promise.all(Array.from({ length: 50 }, () => viewer(s.port)));
    for (const v of slow) v.res.pause();
    const fast = await viewer(s.port);
    await until('51 viewers', () => s.streamer.mjpeg.stats().viewers === 51);
    const largestPart = Math.max(...large.map((j) => j.length)) + 200;
    const memory = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = memory();
    let peakBuffered = 0;
    let peakMemory = 0;
    const frames = 250;
    for (let i = 0; i < frames; i++) {
      await publisher.send(large[i % large.length]!, 1_700_000_000_000 + i);
      await fast.waitForParts(i + 1);
      const stats = s.streamer.mjpeg.stats();
      peakBuffered = Math.max(peakBuffered, ...stats.buffered);
      peakMemory = Math.max(peakMemory, memory() - before);
    }
    const stats = s.streamer.mjpeg.stats();
    const sentBytes = (frames * large.reduce((n, j) => n + j.length, 0)) / large.length;
    // Queued parts would hold over 512 MB; each viewer may hold one part in Node (its kernel socket buffers take a few MB more).
    expect(sentBytes * 50).toBeGreaterThan(512 * 1024 * 1024);
    expect(peakBuffered).toBeLessThan(2 * largestPart);
    expect(peakMemory).toBeLessThan(60 * 1024 * 1024);
    // The paused viewers are far behind: they skip, while the fast one is always current.
    expect(stats.behind.filter((n) => n > frames / 2)).toHaveLength(50);
    expect(stats.behind.filter((n) => n === 0)).toHaveLength(1);
    expect(fast.parts).toHaveLength(frames);
    expect(fast.parts.every((p, i) => p.body.equals(large[i % large.length]!))).toBe(true);

    // Once a slow viewer reads again, it catches up to the newest frame, not the oldest.
    const one = slow[0]!;
    one.res.resume();
    await until('the newest frame', () => Number(one.parts.at(-1)?.headers['x-capture-time']) === 1_700_000_000_000 + frames - 1);
    expect(one.parts.length).toBeLessThan(frames / 2);
    await publisher.close();
  });
});

describe('GET /snapshot.jpg', () => {
  it('is 404 NO_FRAME before any frame', async () => {
    const s = await server();
    const res = await raw(s.port, { path: '/snapshot.jpg' });
    expect(res.status).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NO_FRAME', message: expect.any(String) } });
  });

  it('answers the latest frame with its capture time', async () => {
    const s = await server();
    const publisher = await connectPublisher(s.port);
    await publisher.send(small[0]!, 1_700_000_000_000);
    await publisher.send(small[1]!, 1_700_000_000_100);
    await until('two frames', () => s.streamer.mjpeg.stats().frames === 2);
    const res = await raw(s.port, { path: '/snapshot.jpg' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-capture-time']).toBe('1700000000100');
    expect(res.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(res.body.equals(small[1]!)).toBe(true);
    await publisher.close();
  });

  it('asks an idle publisher for a fresh frame and waits for it', async () => {
    const s = await server();
    const publisher = await connectPublisher(s.port);
    // A publisher that produces a frame whenever demand turns on.
    publisher.ws.on('message', (data, isBinary) => {
      if (!isBinary && JSON.parse(String(data)).demand === true) void publisher.send(small[7]!);
    });
    const res = await raw(s.port, { path: '/snapshot.jpg' });
    expect(res.status).toBe(200);
    expect(res.body.equals(small[7]!)).toBe(true);
    await publisher.close();
  });
});

describe('MJPEG demand', () => {
  it('turns on when a viewer arrives and off after the idle time without viewers', async () => {
    const s = await server({ mjpegIdleSeconds: 0.4 });
    const publisher = await connectPublisher(s.port);
    await until('initial demand', () => publisher.demands.length === 1);
    expect(publisher.demands).toEqual([false]);

    const v = await viewer(s.port);
    const joined = Date.now();
    await until('demand on', () => publisher.demands.length === 2);
    expect(Date.now() - joined).toBeLessThan(300);
    expect(publisher.demands).toEqual([false, true]);

    await sleep(600);
    expect(publisher.demands).toEqual([false, true]);
    v.close();
    const left = Date.now();
    await until('demand off', () => publisher.demands.length === 3);
    expect(Date.now() - left).toBeGreaterThanOrEqual(350);
    expect(publisher.demands).toEqual([false, true, false]);

    await raw(s.port, { path: '/snapshot.jpg' });
    await until('demand on for a snapshot, then off', () => publisher.demands.length === 5);
    expect(publisher.demands.slice(3)).toEqual([true, false]);
    await publisher.close();
  });

  it('tells a publisher that connects while someone watches', async () => {
    const s = await server();
    await viewer(s.port);
    await until('viewer', () => s.streamer.mjpeg.stats().viewers === 1);
    const publisher = await connectPublisher(s.port);
    await until('demand', () => publisher.demands.length === 1);
    expect(publisher.demands).toEqual([true]);
    await publisher.close();
  });
});
