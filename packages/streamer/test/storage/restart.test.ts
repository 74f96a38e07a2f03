// A streamer started again on the same media folder continues the window it had.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import HLS from 'hls-parser';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamer } from '../../src/streamer.js';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { playlistText, publish, raw } from '../helpers/server.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let segments: Buffer[];

beforeAll(async () => {
  tmp = await tempDir();
  segments = await makeSegments(tmp.path, 5, 0.5);
});
afterAll(() => tmp.remove());

async function start(mediaDir: string) {
  const streamer = createStreamer({ mediaDir, window: 3, logger: pino({ level: 'silent' }) });
  const { port } = await streamer.listen(0, '127.0.0.1');
  return { streamer, port };
}

function parse(text: string) {
  return HLS.parse(text) as InstanceType<typeof HLS.types.MediaPlaylist>;
}

describe('restart on the same media folder', () => {
  it('restores the window and media sequence, serves the segments, deletes orphans and continues', async () => {
    const mediaDir = join(tmp.path, 'media');
    const first = await start(mediaDir);
    for (let i = 0; i < 4; i++) {
      expect((await publish(first.port, { name: `a-${i}.ts`, duration: 0.5, body: segments[i], session: 'a' })).status).toBe(201);
    }
    const before = await playlistText(first.port);
    // What close() does not do, a crash would not do either: nothing is written at close.
    await first.streamer.close();
    await writeFile(join(mediaDir, 'orphan-upload.ts'), segments[4]!);

    const second = await start(mediaDir);
    expect(await playlistText(second.port)).toBe(before);
    expect(parse(before).mediaSequenceBase).toBe(1);
    expect((await raw(second.port, { path: '/segments/a-3.ts' })).body.equals(segments[3]!)).toBe(true);
    expect(existsSync(join(mediaDir, 'orphan-upload.ts'))).toBe(false);

    expect((await publish(second.port, { name: 'b-0.ts', duration: 0.5, body: segments[4], session: 'b' })).json()).toMatchObject({ sequence: 4 });
    const after = parse(await playlistText(second.port));
    expect(after.mediaSequenceBase).toBe(2);
    expect(after.segments.map((s) => [s.uri, s.discontinuity === true])).toEqual([
      ['segments/a-2.ts', false],
      ['segments/a-3.ts', false],
      ['segments/b-0.ts', true],
    ]);
    await second.streamer.close();
  });

  it('starts a fresh window, without failing, when the saved state is damaged', async () => {
    const mediaDir = join(tmp.path, 'damaged');
    const first = await start(mediaDir);
    await publish(first.port, { name: 'a-0.ts', duration: 0.5, body: segments[0] });
    await first.streamer.close();
    await writeFile(join(mediaDir, 'window-state.json'), '{"format":1,"state":{"segments":"nope"}}');
    const second = await start(mediaDir);
    expect(parse(await playlistText(second.port)).segments).toEqual([]);
    expect(existsSync(join(mediaDir, 'a-0.ts'))).toBe(false);
    await second.streamer.close();
  });
});
