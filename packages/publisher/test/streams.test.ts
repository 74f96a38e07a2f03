// A publisher on a named stream (`--stream`) against the real streamer, and capture on demand's
// sessions: a paused session leaves the stream open, the next one continues it after a discontinuity.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnDemand } from '../src/on-demand.js';
import { createPublisher, type Publisher } from '../src/publisher.js';
import { startStreamer, type RealStreamer } from './helpers/streamer.js';

let real: RealStreamer;
beforeAll(async () => {
  real = await startStreamer();
});
afterAll(() => real.close());

const playlist = async (name: string) => (await fetch(`${real.url}/live/${name}/stream.m3u8`)).text();
const session = (name: string) =>
  createPublisher({
    input: 'test',
    streamer: real.url,
    stream: name,
    width: 160,
    height: 120,
    fps: 10,
    segmentSeconds: 0.5,
    bitrate: 200_000,
    endOnStop: false,
  });

async function untilSegments(name: string, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((real.streamer.streams.get(name)?.live.state().segments.length ?? 0) < count) {
    if (Date.now() > deadline) throw new Error(`fewer than ${count} segments on ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('hls-publish --stream', () => {
  it('publishes to its named stream only; a stop without end pauses it, the next session continues after a discontinuity', async () => {
    const first = session('porch');
    await first.start();
    await untilSegments('porch', 2);
    await first.stop();
    expect(real.streamer.live.state().segments).toHaveLength(0);
    const paused = await playlist('porch');
    expect(paused).not.toContain('#EXT-X-ENDLIST');
    expect(paused).not.toMatch(/^#EXT-X-DISCONTINUITY$/m);
    const count = real.streamer.streams.get('porch')!.live.state().segments.length;
    const second = session('porch');
    await second.start();
    await untilSegments('porch', count + 1);
    await second.stop();
    const resumed = await playlist('porch');
    expect(resumed).toMatch(/^#EXT-X-DISCONTINUITY$/m);
    expect(resumed).not.toContain('#EXT-X-ENDLIST');
  }, 40_000);
});

interface FakeSession extends Publisher {
  readonly events: string[];
}

function fakeSession(log: string[], n: number, startMs = 30): FakeSession {
  const events: string[] = [];
  const fake = {
    sessionId: `s${n}`,
    events,
    async start() {
      log.push(`start ${n}`);
      await new Promise((resolve) => setTimeout(resolve, startMs));
    },
    async stop() {
      log.push(`stop ${n}`);
    },
    pids: () => [n],
    on() {
      return fake;
    },
  } as unknown as FakeSession;
  return fake;
}

describe('createOnDemand', () => {
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('starts one session while watched, stops it idleSeconds after nobody watches, and starts a new one next time', async () => {
    const log: string[] = [];
    let n = 0;
    const onDemand = createOnDemand({
      idleSeconds: 0.2,
      logger: pino({ level: 'silent' }),
      onError: (e) => log.push(`error ${e.message}`),
      createSession: () => fakeSession(log, ++n),
    });
    expect(onDemand.capturing).toBe(false);
    onDemand.capture(true);
    onDemand.capture(true);
    await settle(50);
    expect(log).toEqual(['start 1']);
    expect(onDemand.pids()).toEqual([1]);
    onDemand.capture(false);
    await settle(100);
    // Watched again within the idle time: capture goes on.
    onDemand.capture(true);
    await settle(250);
    expect(log).toEqual(['start 1']);
    onDemand.capture(false);
    await settle(300);
    expect(log).toEqual(['start 1', 'stop 1']);
    expect(onDemand.capturing).toBe(false);
    onDemand.capture(true);
    await settle(50);
    expect(log).toEqual(['start 1', 'stop 1', 'start 2']);
    await onDemand.stop();
    onDemand.capture(true);
    await settle(50);
    expect(log).toEqual(['start 1', 'stop 1', 'start 2', 'stop 2']);
    expect(onDemand.sessions).toBe(2);
  });

  it('reports a session that cannot start and tries again on the next wake', async () => {
    const errors: string[] = [];
    let n = 0;
    const onDemand = createOnDemand({
      idleSeconds: 0.05,
      logger: pino({ level: 'silent' }),
      onError: (e) => errors.push(e.message),
      createSession: () => {
        n++;
        const failing = fakeSession([], n);
        return Object.assign(failing, { start: () => Promise.reject(new Error(`camera ${n} missing`)) });
      },
    });
    onDemand.capture(true);
    await settle(30);
    expect(errors).toEqual(['camera 1 missing']);
    expect(onDemand.capturing).toBe(false);
    onDemand.capture(false);
    await settle(100);
    onDemand.capture(true);
    await settle(30);
    expect(errors).toEqual(['camera 1 missing', 'camera 2 missing']);
    await onDemand.stop();
  });
});
