// A streamer that accepts connections and never answers: the publisher keeps capturing, its
// queue stays within --queue (the oldest segment is dropped and counted), and so do its memory
// and its segment files. Measured by queue stats and files over time, not by speed.
import { readdir } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher } from '../../src/index.js';

let server: Server;
let url: string;
let work: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  work = await mkdtemp(join(tmpdir(), 'stalled-'));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
  await rm(work, { recursive: true, force: true });
});

describe('a stalled streamer', () => {
  it('keeps the queue, segment files and memory bounded while segments pile up', async () => {
    const queue = 3;
    const publisher = createPublisher({
      input: 'test', streamer: url, width: 160, height: 120, fps: 10, segmentSeconds: 0.5, queue, tempDir: work, bitrate: 200_000,
    });
    await publisher.start();
    const rssStart = process.memoryUsage().rss;
    let maxQueued = 0;
    let maxFiles = 0;
    const deadline = Date.now() + 60_000;
    // Until three times the queue has been dropped: the bound has been hit again and again.
    while (publisher.status().dropped < queue * 3 && Date.now() < deadline) {
      const folder = (await readdir(work)).find((f) => f.startsWith('hls-publish-'));
      const files = folder ? (await readdir(join(work, folder))).filter((f) => f.endsWith('.ts')).length : 0;
      maxQueued = Math.max(maxQueued, publisher.status().queued);
      maxFiles = Math.max(maxFiles, files);
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = publisher.status();
    const rssGrowth = process.memoryUsage().rss - rssStart;
    console.info(`stalled streamer: ${status.segments} segments cut, ${status.dropped} dropped, max queued ${maxQueued}, max files ${maxFiles}, rss +${(rssGrowth / 1e6).toFixed(1)} MB`);
    expect(status.dropped).toBeGreaterThanOrEqual(queue * 3);
    expect(status.sent).toBe(0);
    expect(maxQueued).toBeLessThanOrEqual(queue);
    // The queue's files, plus the one the encoder is writing and one just listed.
    expect(maxFiles).toBeLessThanOrEqual(queue + 2);
    // Generous: segments of ~15 kB each; an unbounded queue would not show in 10 MB, but the
    // bound above does; this catches a leak of whole buffers per attempt.
    expect(rssGrowth).toBeLessThan(150 * 1024 * 1024);
    await publisher.stop();
    expect(publisher.pids()).toEqual([]);
  });
});
