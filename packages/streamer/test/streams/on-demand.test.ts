// Capture on demand at the streamer: a publisher that says `X-On-Demand: 1` on its live WebSocket
// is told `{"capture": true}` when someone asks for its stream, and the first playlist request is
// held until the wake's first segment is listed (not answered at once with nothing to play).
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { publish, raw, useServers } from '../helpers/server.js';

let chunks: Buffer[];
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const server = useServers();

beforeAll(async () => {
  fixtures = await tempDir();
  chunks = await makeSegments(fixtures.path, 2, 1);
});
afterAll(() => fixtures.remove());

async function connect(port: number, headers: Record<string, string>): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/publish/mjpeg`, { headers });
  const messages: string[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(String(data));
  });
  await once(ws, 'open');
  return { ws, messages };
}

const until = async (check: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('capture on demand', () => {
  it('tells the on-demand publisher when someone watches, and holds the first playlist request until video is listed', async () => {
    const s = await server();
    const { ws, messages } = await connect(s.port, { 'X-Stream': 'porch', 'X-On-Demand': '1', 'X-Target-Duration': '1' });
    try {
      await until(() => messages.includes('{"capture":false}'));
      const began = performance.now();
      const pending = raw(s.port, { path: '/live/porch/stream.m3u8' });
      await until(() => messages.includes('{"capture":true}'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await publish(s.port, { name: 'wake-00000.ts', body: chunks[0]!, stream: 'porch' })).status).toBe(201);
      const res = await pending;
      expect(res.status).toBe(200);
      expect(res.body.toString()).toContain('segments/wake-00000.ts');
      expect(performance.now() - began).toBeGreaterThanOrEqual(300);
      // Listed now: the next request (fast path) answers at once.
      expect((await raw(s.port, { path: '/live/porch/stream.m3u8' })).body.toString()).toContain('wake-00000.ts');
      const entry = (await raw(s.port, { path: '/streams.json' })).json().streams.find((e: { name: string }) => e.name === 'porch');
      expect(entry).toMatchObject({ onDemand: true, publisher: true, watched: true, state: 'live' });
    } finally {
      ws.close();
    }
  });

  it('answers after at most four target durations when no video comes', async () => {
    const s = await server();
    const { ws } = await connect(s.port, { 'X-Stream': 'late', 'X-On-Demand': '1', 'X-Target-Duration': '1' });
    try {
      const began = performance.now();
      const res = await raw(s.port, { path: '/live/late/stream.m3u8' });
      const ms = performance.now() - began;
      expect(res.status).toBe(200);
      expect(res.body.toString()).not.toContain('#EXTINF');
      expect(ms).toBeGreaterThanOrEqual(3900);
      expect(ms).toBeLessThan(6000);
    } finally {
      ws.close();
    }
  });

  it('sends capture messages only to a publisher that asked, and holds nothing for the others', async () => {
    const s = await server();
    const { ws, messages } = await connect(s.port, { 'X-Stream': 'plain' });
    try {
      await until(() => messages.length > 0);
      const began = performance.now();
      expect((await raw(s.port, { path: '/live/plain/stream.m3u8' })).status).toBe(200);
      expect(performance.now() - began).toBeLessThan(1000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(messages.every((m) => !m.includes('capture'))).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('refuses a bad stream name or On-Demand header on the upgrade with 400', async () => {
    const s = await server();
    for (const [headers, code] of [
      [{ 'X-Stream': 'Bad Name' }, 'INVALID_STREAM_NAME'],
      [{ 'X-On-Demand': 'yes' }, 'INVALID_HEADER'],
    ] as const) {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/publish/mjpeg`, { headers });
      ws.on('error', () => {});
      const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
      const body = await new Promise<string>((resolve) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve(text));
      });
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(body).error.code).toBe(code);
      ws.terminate();
    }
    expect(s.streamer.streams.list().map((stream) => stream.name)).toEqual(['default']);
  });
});
