// One named stream's members together: the watch (who watches) and, for capture on demand, which
// segment the current wake waits for; an earlier capture's segments do not count as video.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNamedStream } from '../../src/streams/named-stream.js';
import { makeSegments, tempDir } from '../helpers/fixtures.js';

let chunks: Buffer[];
let fixtures: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  fixtures = await tempDir();
  chunks = await makeSegments(fixtures.path, 2, 1);
});
afterAll(() => fixtures.remove());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createNamedStream', () => {
  it('waits, on each wake of an on-demand stream, for a segment of that wake', async () => {
    const stream = createNamedStream({
      name: 'porch',
      dir: join(fixtures.path, 'porch'),
      window: 5,
      targetDuration: undefined,
      maxSegmentBytes: 1 << 24,
      mjpegIdleMs: 1000,
      watchQuietMs: 50,
      viewerToken: undefined,
      logger: pino({ level: 'silent' }),
    });
    await stream.restore();
    const publish = (i: number, session: string) =>
      stream.live.publish({ name: `s-${i}.ts`, duration: 1, sessionId: session, programDateTime: Date.now() }, Readable.from([chunks[i % 2]!]));
    try {
      expect(stream.waking()).toBeUndefined();
      stream.onDemand = true;
      stream.watch.touch();
      expect(stream.watch.watched()).toBe(true);
      expect(stream.waking()).toBe(0);
      await publish(0, 'first');
      expect(stream.waking()).toBeUndefined();
      // Nobody asks: the watch ends; the next request is a new wake, and segment 0 is old video.
      await sleep(120);
      expect(stream.watch.watched()).toBe(false);
      stream.watch.touch();
      expect(stream.waking()).toBe(1);
      await publish(1, 'second');
      expect(stream.waking()).toBeUndefined();
      // Not on demand: never waiting.
      stream.onDemand = false;
      await sleep(120);
      stream.watch.touch();
      expect(stream.waking()).toBeUndefined();
    } finally {
      await stream.close();
    }
  });

  it('counts an MJPEG viewer as watching for as long as it is connected', async () => {
    const stream = createNamedStream({
      name: 'yard',
      dir: join(fixtures.path, 'yard'),
      window: 5,
      targetDuration: undefined,
      maxSegmentBytes: 1 << 24,
      mjpegIdleMs: 30,
      watchQuietMs: 30,
      viewerToken: undefined,
      logger: pino({ level: 'silent' }),
    });
    const changes: boolean[] = [];
    stream.watch.onChange((watched) => changes.push(watched));
    try {
      await stream.mjpeg.snapshot();
      expect(stream.watch.watched()).toBe(true);
      await sleep(150);
      expect(stream.watch.watched()).toBe(false);
      expect(changes).toEqual([true, false]);
    } finally {
      await stream.close();
    }
  });
});
