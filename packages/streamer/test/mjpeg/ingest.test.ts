import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { encodeFrameMessage } from '@hls-live/protocol';
import { tempDir } from '../helpers/fixtures.js';
import { connectPublisher, makeJpegs, until } from '../helpers/mjpeg.js';
import { useServers } from '../helpers/server.js';

let jpegs: Buffer[];
let fixtures: Awaited<ReturnType<typeof tempDir>>;
const server = useServers();

beforeAll(async () => {
  fixtures = await tempDir();
  jpegs = await makeJpegs(fixtures.path, 2);
});
afterAll(() => fixtures.remove());

// biome-ignore lint/suspicious/noExplicitAny: the refusal body is read field by field, and expect() checks each one.
async function refusal(promise: Promise<unknown>): Promise<{ status: number; body: any; headers: IncomingMessage['headers'] }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { status: number; res: IncomingMessage } | undefined;
  if (!error?.res) throw new Error('the upgrade was accepted');
  const chunks: Buffer[] = [];
  for await (const chunk of error.res) chunks.push(chunk as Buffer);
  return { status: error.status, body: JSON.parse(Buffer.concat(chunks).toString()), headers: error.res.headers };
}

describe('the MJPEG ingest WebSocket', () => {
  it.each<[string, string | undefined, string]>([
    ['no token', undefined, 'Missing `Authorization: Bearer <token>`'],
    ['a wrong token', 'nope', 'Wrong publish token.'],
  ])('refuses the upgrade with 401 for %s', async (_name, token, message) => {
    const s = await server({ publishToken: 'secret' });
    const res = await refusal(connectPublisher(s.port, token));
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(res.body.error.message).toContain(message);
    expect(s.streamer.mjpeg.stats().publisher).toBe(false);
  });

  it('accepts the right token', async () => {
    const s = await server({ publishToken: 'secret' });
    const publisher = await connectPublisher(s.port, 'secret');
    await publisher.send(jpegs[0]!);
    await until('a frame', () => s.streamer.mjpeg.stats().frames === 1);
    await publisher.close();
  });

  it('answers 404 JSON for a WebSocket on another path', async () => {
    const s = await server();
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/elsewhere`);
    ws.on('error', () => {});
    const res = await refusal(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('unexpected-response', (_req, r) => reject(Object.assign(new Error('refused'), { status: r.statusCode, res: r })));
      }),
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it.each<[string, (ws: import('ws').WebSocket) => void, number, string]>([
    ['a message that is not a JPEG', (ws) => ws.send(encodeFrameMessage(Date.now(), Buffer.from('hello, not a jpeg'))), 4415, 'NOT_JPEG'],
    ['a truncated JPEG', (ws) => ws.send(encodeFrameMessage(Date.now(), jpegs[0]!.subarray(0, 500))), 4415, 'NOT_JPEG'],
    ['a message shorter than the header', (ws) => ws.send(Buffer.from([1, 2, 3])), 4400, 'INVALID_FRAME'],
    ['a negative capture time', (ws) => ws.send(encodeFrameMessage(-5, jpegs[0]!)), 4400, 'INVALID_FRAME'],
    ['a text message', (ws) => ws.send('{"hello":1}'), 1003, ''],
    ['a frame over --max-mjpeg-frame-bytes', (ws) => ws.send(encodeFrameMessage(Date.now(), Buffer.alloc(70_000, 0xff))), 1009, ''],
  ])('closes the connection on %s and keeps the last good frame', async (_name, send, code, reason) => {
    const s = await server({ maxMjpegFrameBytes: 64 * 1024 });
    const publisher = await connectPublisher(s.port);
    await publisher.send(jpegs[0]!);
    await until('a frame', () => s.streamer.mjpeg.stats().frames === 1);
    send(publisher.ws);
    const closed = await publisher.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason.startsWith(reason)).toBe(true);
    expect(s.streamer.mjpeg.stats().frames).toBe(1);
    expect(s.streamer.mjpeg.latest()?.jpeg.equals(jpegs[0]!)).toBe(true);
  });

  it('lets a newer publisher connection replace the previous one', async () => {
    const s = await server();
    const first = await connectPublisher(s.port);
    const second = await connectPublisher(s.port);
    expect((await first.closed).code).toBe(4409);
    await second.send(jpegs[1]!);
    await until('a frame', () => s.streamer.mjpeg.stats().frames === 1);
    expect(s.streamer.mjpeg.stats().publisher).toBe(true);
    await second.close();
    await until('no publisher', () => !s.streamer.mjpeg.stats().publisher);
  });
});
