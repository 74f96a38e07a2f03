// A streamer that accepts connections and never answers: each upload is abandoned at the upload
// timeout and retried (measured on the server's side of the socket); the publisher keeps
// capturing, its queue stays within --queue (the oldest segment is dropped and counted), and so
// do its memory and its segment files.
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
/** One per connection: when its request line arrived, which segment it posts, when the client hung up. */
const requests: { at: number; segment: string; closedAt?: number }[] = [];

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = '';
    let request: (typeof requests)[number] | undefined;
    socket.on('data', (chunk: Buffer) => {
      if (request) return;
      head += chunk.toString('latin1');
      const line = /^POST \/publish\/([^/\s]+)\/\S+ HTTP/.exec(head);
      if (line) {
        request = { at: Date.now(), segment: line[1]! };
        requests.push(request);
      }
    });
    socket.on('close', () => {
      if (request) request.closedAt = Date.now();
    });
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
  it('abandons an upload at its timeout and retries it', async () => {
    const timeoutMs = 1000;
    // A queue long enough that no upload is cut short by dropping the oldest segment.
    const publisher = createPublisher({
      input: 'test',
      streamer: url,
      width: 160,
      height: 120,
      fps: 10,
      segmentSeconds: 0.5,
      queue: 100,
      tempDir: work,
      bitrate: 200_000,
      uploadTimeoutMs: timeoutMs,
      retryMinMs: 100,
      retryMaxMs: 200,
      endTimeoutMs: 1000,
    });
    await publisher.start();
    requests.length = 0;
    const deadline = Date.now() + 20_000;
    while (requests.filter((r) => r.closedAt !== undefined).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const status = publisher.status();
    await publisher.stop();
    const attempts = requests.slice(0, 4);
    const first = attempts[0]!.segment;
    console.info(
      `stalled streamer, ${timeoutMs} ms upload timeout: attempts at +${attempts.map((a) => a.at - attempts[0]!.at).join(', +')} ms, each abandoned after ${attempts
        .filter((a) => a.closedAt)
        .map((a) => a.closedAt! - a.at)
        .join(', ')} ms`,
    );
    // The same (oldest) segment every time: retried, never dropped.
    expect(attempts.slice(0, 3).map((a) => a.segment)).toEqual([first, first, first]);
    for (const [i, attempt] of attempts.slice(0, 3).entries()) {
      const abandonedAfter = attempt.closedAt! - attempt.at;
      expect(abandonedAfter).toBeGreaterThanOrEqual(timeoutMs * 0.9);
      expect(abandonedAfter).toBeLessThan(3000);
      // The retry follows the abort after the backoff, not another timeout later.
      const next = attempts[i + 1];
      if (next) expect(next.at - attempt.closedAt!).toBeLessThan(1000);
    }
    expect(status.lastError).toMatch(/timeout/i);
    expect(status).toMatchObject({ sent: 0, dropped: 0 });
    expect(status.queued).toBeGreaterThanOrEqual(1);
  });

  it('keeps the queue, segment files and memory bounded while segments pile up', async () => {
    const queue = 3;
    const publisher = createPublisher({
      input: 'test',
      streamer: url,
      width: 160,
      height: 120,
      fps: 10,
      segmentSeconds: 0.5,
      queue,
      tempDir: work,
      bitrate: 200_000,
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
    console.info(
      `stalled streamer: ${status.segments} segments cut, ${status.dropped} dropped, max queued ${maxQueued}, max files ${maxFiles}, rss +${(rssGrowth / 1e6).toFixed(1)} MB`,
    );
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
