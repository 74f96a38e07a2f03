// The MJPEG preview end to end: a real publisher on the test pattern -> streamer -> a plain HTTP
// client reading /mjpeg, splitting the multipart stream and decoding the JPEGs with ffprobe.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

const run = promisify(execFile);

/** Reads `count` parts of a multipart/x-mixed-replace response; each part by its Content-Length. */
function readParts(url: string, count: number, timeoutMs = 30_000): Promise<{ headers: Record<string, string>; body: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const parts: { headers: Record<string, string>; body: Buffer }[] = [];
    const req = request(url, (res) => {
      const type = res.headers['content-type'] ?? '';
      if (!type.startsWith('multipart/x-mixed-replace')) return reject(new Error(`content-type ${type}`));
      let pending = Buffer.alloc(0);
      res.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (;;) {
          const headerEnd = pending.indexOf('\r\n\r\n');
          if (headerEnd < 0) return;
          const lines = pending.subarray(0, headerEnd).toString('latin1').split('\r\n');
          const headers: Record<string, string> = {};
          for (const line of lines) {
            const colon = line.indexOf(':');
            if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
          }
          const length = Number(headers['content-length']);
          if (!Number.isFinite(length)) return reject(new Error(`part without Content-Length: ${lines.join(' | ')}`));
          if (pending.length < headerEnd + 4 + length) return;
          parts.push({ headers, body: Buffer.from(pending.subarray(headerEnd + 4, headerEnd + 4 + length)) });
          pending = pending.subarray(headerEnd + 4 + length);
          if (parts.length === count) {
            req.destroy();
            return resolve(parts);
          }
        }
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`only ${parts.length} of ${count} parts in time`)));
    req.on('error', (error) => (parts.length === count ? undefined : reject(error)));
    req.end();
  });
}

describe('MJPEG preview from a real publisher', () => {
  let streamer: RunningStreamer;
  let publisher: Spawned;

  beforeAll(async () => {
    streamer = await startStreamer();
    publisher = startPublisher(streamer.url, ['--input', 'test', '--size', '320x240', '--fps', '25', '--detector', 'off', '--mjpeg-fps', '10']);
  });

  afterAll(async () => {
    await stopAll(publisher);
    await streamer?.close();
  });

  it('serves at least 20 whole JPEGs of the frame size to a plain HTTP client', async () => {
    const parts = await readParts(`${streamer.url}/mjpeg`, 22);
    const dir = await mkdtemp(join(tmpdir(), 'e2e-mjpeg-'));
    try {
      for (const [i, part] of parts.entries()) {
        expect(part.headers['content-type']).toBe('image/jpeg');
        expect(Number(part.headers['x-capture-time'])).toBeGreaterThan(Date.now() - 60_000);
        const file = join(dir, `${i}.jpg`);
        await writeFile(file, part.body);
        const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', file]);
        expect(stdout.trim()).toBe('mjpeg,320,240');
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers /snapshot.jpg with the latest frame', async () => {
    const res = await fetch(`${streamer.url}/snapshot.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
  });
});
