import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMediaDir, type MediaDir } from '../../src/storage/media-dir.js';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { listFiles } from '../helpers/server.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let segment: Buffer;
let count = 0;

beforeAll(async () => {
  tmp = await tempDir();
  segment = await makeSegment(tmp.path);
});
afterAll(() => tmp.remove());

async function freshDir(max = 1 << 20): Promise<MediaDir> {
  const media = createMediaDir({ dir: join(tmp.path, `media-${count++}`), maxSegmentBytes: max });
  await media.ready();
  return media;
}

function chunked(buffer: Buffer, size = 1000): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < buffer.length; i += size) chunks.push(buffer.subarray(i, i + size));
  return Readable.from(chunks, { objectMode: false });
}

describe('media dir', () => {
  it('writes a valid segment under its name and returns its bytes', async () => {
    const media = await freshDir();
    const bytes = await media.receive('a.ts', chunked(segment));
    expect(bytes?.equals(segment)).toBe(true);
    expect(await listFiles(media.dir)).toEqual(['a.ts']);
    expect((await readFile(join(media.dir, 'a.ts'))).equals(segment)).toBe(true);
  });

  it.each([
    ['random bytes', () => Buffer.alloc(188 * 4, 0x12), 'NOT_MPEG_TS'],
    ['a truncated segment', () => segment.subarray(0, segment.length - 100), 'NOT_MPEG_TS'],
    ['a segment over the cap', () => Buffer.concat([segment, segment, segment]), 'BODY_TOO_LARGE'],
  ])('refuses %s and leaves no file behind', async (_label, body, code) => {
    const media = await freshDir(segment.length * 2);
    await expect(media.receive('a.ts', chunked(body()))).rejects.toMatchObject({ code });
    expect(await listFiles(media.dir)).toEqual([]);
  });

  it('refuses a declared length over the cap without reading the body', async () => {
    const media = await freshDir(1000);
    const body = new PassThrough();
    await expect(media.receive('a.ts', body, 5000)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(body.readableFlowing).toBe(null);
    expect(await listFiles(media.dir)).toEqual([]);
  });

  it('cleans up when the client goes away mid-body', async () => {
    const media = await freshDir();
    const body = new PassThrough();
    const receiving = media.receive('a.ts', body);
    body.write(segment.subarray(0, 188 * 3));
    setTimeout(() => body.destroy(new Error('socket hang up')), 20);
    await expect(receiving).rejects.toMatchObject({ code: 'CLIENT_ABORTED' });
    expect(await listFiles(media.dir)).toEqual([]);
  });

  // Found by CI: an uncaught ERR_STREAM_DESTROYED from the write still in flight killed the process.
  it('survives a client that goes away while a write to disk is still in flight', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const packets = Buffer.alloc(188 * 5000);
      for (let i = 0; i < packets.length; i += 188) packets[i] = 0x47;
      for (let round = 0; round < 20; round++) {
        const media = await freshDir(1 << 24);
        const body = new PassThrough();
        const receiving = media.receive('a.ts', body);
        // Let the file open, then abort right after a large write has been handed to fs.
        await new Promise((resolve) => setTimeout(resolve, 5));
        body.write(packets);
        body.destroy(new Error('socket hang up'));
        await expect(receiving).rejects.toMatchObject({ code: 'CLIENT_ABORTED' });
        expect(await listFiles(media.dir)).toEqual([]);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('reports an empty body as null and writes nothing', async () => {
    const media = await freshDir();
    expect(await media.receive('a.ts', Readable.from([]))).toBe(null);
    expect(await listFiles(media.dir)).toEqual([]);
  });

  it('adopts a segment the publisher wrote itself, checking it', async () => {
    const media = await freshDir(segment.length);
    await writeFile(join(media.dir, 'own.ts'), segment);
    expect((await media.adopt('own.ts')).equals(segment)).toBe(true);
    await writeFile(join(media.dir, 'bad.ts'), Buffer.alloc(376, 1));
    await expect(media.adopt('bad.ts')).rejects.toMatchObject({ code: 'NOT_MPEG_TS' });
    await writeFile(join(media.dir, 'big.ts'), Buffer.concat([segment, segment]));
    await expect(media.adopt('big.ts')).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
    await mkdir(join(media.dir, 'dir.ts'));
    await expect(media.adopt('dir.ts')).rejects.toMatchObject({ code: 'SEGMENT_FILE_MISSING' });
    await expect(media.adopt('none.ts')).rejects.toMatchObject({ code: 'SEGMENT_FILE_MISSING' });
  });

  it('creates the folder and removes leftover temporary files on start, keeping segments', async () => {
    const dir = join(tmp.path, 'nested', 'left');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '.a.ts.0123.tmp'), 'x');
    await writeFile(join(dir, 'kept.ts'), segment);
    const media = createMediaDir({ dir, maxSegmentBytes: 1 << 20 });
    await media.ready();
    expect(await listFiles(dir)).toEqual(['kept.ts']);
    await media.remove('kept.ts');
    await media.remove('kept.ts');
    expect(await listFiles(dir)).toEqual([]);
  });
});
