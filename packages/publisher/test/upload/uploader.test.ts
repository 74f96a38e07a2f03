import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../src/errors.js';
import { createUploader, type Uploader, type UploadItem } from '../../src/upload/uploader.js';
import { startPublishServer, type PublishServer } from '../helpers/publish-server.js';

let server: PublishServer;
let dir: string;
let uploader: Uploader | undefined;
let fatal: Error[];

beforeEach(async () => {
  server = await startPublishServer();
  dir = await mkdtemp(join(tmpdir(), 'uploader-test-'));
  fatal = [];
});

afterEach(async () => {
  await uploader?.stop();
  uploader = undefined;
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function start(queueLimit = 10, token?: string) {
  uploader = createUploader({
    streamer: server.url,
    token,
    sessionId: 'sess_1',
    targetDuration: 2,
    queueLimit,
    retryMinMs: 20,
    retryMaxMs: 80,
    requestTimeoutMs: 2000,
    logger: pino({ level: 'silent' }),
    onFatal: (e) => fatal.push(e),
  });
  return uploader;
}

let counter = 0;
async function segment(n = counter++): Promise<UploadItem> {
  const name = `sess_1-${String(n).padStart(5, '0')}.ts`;
  const path = join(dir, name);
  const packet = Buffer.alloc(188, n % 256);
  packet[0] = 0x47;
  await writeFile(path, packet);
  return { name, path, duration: 2, programDateTime: new Date(1_700_000_000_000 + n * 2000) };
}

const names = (s: PublishServer) => s.segments().map((r) => r.url.split('/')[2]);

describe('uploader', () => {
  it('posts each segment in order per PROTOCOL.md and deletes the local file', async () => {
    const up = start(10, 'sekret');
    const items = [await segment(0), await segment(1), await segment(2)];
    for (const item of items) up.enqueue(item);
    await server.waitFor('3 posts', () => server.segments().length === 3);
    expect(server.segments().map((r) => r.url)).toEqual(['/publish/sess_1-00000.ts/2', '/publish/sess_1-00001.ts/2', '/publish/sess_1-00002.ts/2']);
    const first = server.segments()[0]!;
    expect(first.method).toBe('POST');
    expect(first.headers).toMatchObject({
      'content-type': 'video/mp2t',
      authorization: 'Bearer sekret',
      'x-publisher-session': 'sess_1',
      'x-program-date-time': '2023-11-14T22:13:20.000Z',
      'x-target-duration': '2',
      'content-length': '188',
    });
    expect(first.body[0]).toBe(0x47);
    await server.waitFor('files deleted', () => items.every((i) => !existsSync(i.path)));
    expect(up.stats()).toMatchObject({ sent: 3, queued: 0, dropped: 0 });
  });

  it('retries while the streamer is down and catches up in order when it returns', async () => {
    await server.down();
    const up = start(10);
    const items = [await segment(10), await segment(11), await segment(12)];
    for (const item of items) up.enqueue(item);
    await new Promise((r) => setTimeout(r, 300));
    expect(up.stats()).toMatchObject({ sent: 0, queued: 3, dropped: 0 });
    expect(up.stats().retries).toBeGreaterThanOrEqual(3);
    await server.up();
    await server.waitFor('3 posts after recovery', () => server.segments().length === 3);
    expect(names(server)).toEqual(items.map((i) => i.name));
    expect(up.stats()).toMatchObject({ sent: 3, queued: 0, dropped: 0 });
  });

  it('holds at most the queue bound, dropping (and counting, and deleting) the oldest', async () => {
    await server.down();
    const up = start(3);
    const items: UploadItem[] = [];
    for (let i = 20; i < 27; i++) {
      items.push(await segment(i));
      up.enqueue(items.at(-1)!);
    }
    expect(up.stats()).toMatchObject({ queued: 3, dropped: 4 });
    await server.waitFor('dropped files deleted', () => items.slice(0, 4).every((i) => !existsSync(i.path)));
    await server.up();
    await server.waitFor('the newest 3', () => server.segments().length === 3);
    expect(names(server)).toEqual(items.slice(4).map((i) => i.name));
  });

  it('retries 5xx, 408 and 429 but drops 409 and other 4xx without retrying', async () => {
    const answers = new Map<string, number[]>([
      ['sess_1-00030.ts', [503, 429, 201]],
      ['sess_1-00031.ts', [409]],
      ['sess_1-00032.ts', [415]],
      ['sess_1-00033.ts', [408, 201]],
    ]);
    server.respond((req) => {
      const status = answers.get(req.url.split('/')[2]!)?.shift();
      return status ? { status, body: status >= 400 ? { error: { code: 'X', message: 'x' } } : { sequence: 1 } } : undefined;
    });
    const up = start();
    for (let i = 30; i < 34; i++) up.enqueue(await segment(i));
    await server.waitFor('all answered', () => up.stats().sent + up.stats().rejected === 4);
    expect(names(server)).toEqual([
      'sess_1-00030.ts',
      'sess_1-00030.ts',
      'sess_1-00030.ts',
      'sess_1-00031.ts',
      'sess_1-00032.ts',
      'sess_1-00033.ts',
      'sess_1-00033.ts',
    ]);
    expect(up.stats()).toMatchObject({ sent: 2, rejected: 2, dropped: 0 });
    expect(fatal).toEqual([]);
  });

  it('treats 401 as fatal once, with a message about --token, and stops sending', async () => {
    server.respond(() => ({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'no' } } }));
    const up = start(10, 'wrong');
    const items = [await segment(40), await segment(41)];
    for (const item of items) up.enqueue(item);
    await server.waitFor('fatal', () => fatal.length > 0);
    await new Promise((r) => setTimeout(r, 100));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(UnauthorizedError);
    expect(fatal[0]!.message).toMatch(/--token/);
    expect(server.segments()).toHaveLength(1);
    await server.waitFor('files deleted', () => items.every((i) => !existsSync(i.path)));
    await up.end(500);
    expect(server.received.some((r) => r.url === '/publish/end')).toBe(false);
  });

  it('ends the stream after draining the queue', async () => {
    const up = start();
    for (let i = 50; i < 53; i++) up.enqueue(await segment(i));
    await up.end(3000);
    expect(server.received.map((r) => r.url.split('/')[2])).toEqual(['sess_1-00050.ts', 'sess_1-00051.ts', 'sess_1-00052.ts', 'end']);
    expect(server.received.at(-1)!.headers['x-publisher-session']).toBe('sess_1');
  });

  it('gives up ending within its bound when the streamer stays down', async () => {
    const up = start();
    up.enqueue(await segment(60));
    await server.waitFor('first post', () => up.stats().sent === 1);
    await server.down();
    const item = await segment(61);
    up.enqueue(item);
    const started = Date.now();
    await up.end(400);
    expect(Date.now() - started).toBeLessThan(1500);
    await server.waitFor('file of the unsent segment deleted', () => !existsSync(item.path));
  });
});

describe('uploader with Low-Latency HLS parts', () => {
  it('posts each part in order under its segment name, with the part headers, through the same queue', async () => {
    const up = start();
    const items: UploadItem[] = [];
    for (let i = 0; i < 3; i++) {
      const item = await segment();
      items.push({ ...item, duration: 0.2, part: { segment: 'sess_1-00007.ts', index: i, independent: i === 0, end: i === 2, target: 0.2 } });
    }
    for (const item of items) up.enqueue(item);
    await server.waitFor('three parts', () => server.segments().length === 3);
    const got = server.segments();
    expect(got.map((r) => r.url)).toEqual(['/publish/sess_1-00007.ts/0.2', '/publish/sess_1-00007.ts/0.2', '/publish/sess_1-00007.ts/0.2']);
    expect(got.map((r) => [r.headers['x-part-index'], r.headers['x-independent'], r.headers['x-segment-end'], r.headers['x-part-target']])).toEqual([
      ['0', '1', undefined, '0.2'],
      ['1', undefined, undefined, '0.2'],
      ['2', undefined, '1', '0.2'],
    ]);
    expect(got[1]!.headers['x-program-date-time']).toBe(items[1]!.programDateTime.toISOString());
    for (const item of items) await expect.poll(() => existsSync(item.path)).toBe(false);
  });
});
