import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { endStream, publish, startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
let fixtures: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;
let segments: Buffer[];

beforeAll(async () => {
  fixtures = await tempDir();
  segments = await makeSegments(fixtures.path, 3, 1, '320x240');
  server = await startServer();
});
afterAll(async () => {
  await server?.close();
  await fixtures?.remove();
});

describe('ffmpeg as a viewer', () => {
  it('reads the whole stream through /stream.m3u8', async () => {
    expect(segments).toHaveLength(3);
    const start = Date.now();
    for (const [i, body] of segments.entries()) {
      const pdt = new Date(start + i * 1000).toISOString();
      const res = await publish(server.port, { name: `live-${i}.ts`, duration: 1, target: '1', pdt, body });
      expect(res.status).toBe(201);
    }
    expect((await endStream(server.port)).status).toBe(200);
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-i', `${server.url}/stream.m3u8`, '-c', 'copy', '-f', 'null', '-'], { timeout: 20_000 });
    expect(stderr).toMatch(/Video: h264/);
    // 3 s at 25 fps, all of it read.
    const frames = [...stderr.matchAll(/frame=\s*(\d+)/g)].map((m) => Number(m[1]));
    expect(frames.at(-1)).toBe(75);
  });
});
