import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLiveStream } from '../src/live-stream.js';
import { createMediaDir } from '../src/storage/media-dir.js';
import { makeSegment, tempDir } from './helpers/fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let segment: Buffer;
let dirs = 0;

beforeAll(async () => {
  tmp = await tempDir();
  segment = await makeSegment(tmp.path);
});
afterAll(() => tmp.remove());

function setup() {
  const media = createMediaDir({ dir: join(tmp.path, `m${dirs++}`), maxSegmentBytes: 1 << 20 });
  const live = createLiveStream({ windowSize: 1, media, logger: pino({ level: 'silent' }) });
  const add = (name: string, duration = 0.05) => live.publish({ name, duration, sessionId: 's', programDateTime: Date.now() }, Readable.from([segment]));
  return { media, live, add };
}

describe('live stream', () => {
  it('deletes a retired segment from memory and disk once its retention is over', async () => {
    const { media, live, add } = setup();
    await add('a.ts');
    await add('b.ts');
    expect(live.segment('a.ts')).toBeDefined();
    expect(live.state().retiring.map((s) => s.name)).toEqual(['a.ts']);
    await expect.poll(() => existsSync(join(media.dir, 'a.ts')), { timeout: 2000, interval: 20 }).toBe(false);
    expect(live.segment('a.ts')).toBeUndefined();
    expect(live.state().retiring).toEqual([]);
    expect(existsSync(join(media.dir, 'b.ts'))).toBe(true);
    live.close();
  });

  it('stops deleting once closed: its timer goes with it', async () => {
    const { media, live, add } = setup();
    await add('a.ts');
    await add('b.ts');
    live.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(join(media.dir, 'a.ts'))).toBe(true);
  });

  it('renders the playlist once per change', async () => {
    const { live, add } = setup();
    const empty = live.playlist();
    expect(live.playlist()).toBe(empty);
    await add('a.ts', 1);
    const one = live.playlist();
    expect(one).not.toBe(empty);
    expect(one.text).toContain('segments/a.ts');
    live.end();
    expect(live.playlist().text.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
    live.close();
  });
});
