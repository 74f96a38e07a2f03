// MJPEG test tools: real JPEGs made by ffmpeg at test time, a publisher-side WebSocket client,
// and a viewer that parses the multipart stream of GET /mjpeg into whole parts.
import { execFile } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { encodeFrameMessage } from '@hls-live/protocol';

const run = promisify(execFile);

/** `count` different JPEGs of `size` (testsrc2 frames), `quality` as ffmpeg's -q:v. */
export async function makeJpegs(dir: string, count: number, size = '320x240', quality = 5): Promise<Buffer[]> {
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=10`,
    '-frames:v',
    String(count),
    '-q:v',
    String(quality),
    join(dir, `jpeg-${size}-q${quality}-%04d.jpg`),
  ]);
  const names = (await readdir(dir)).filter((n) => n.startsWith(`jpeg-${size}-q${quality}-`)).sort();
  return Promise.all(names.map((n) => readFile(join(dir, n))));
}

export interface PublisherSocket {
  readonly ws: WebSocket;
  /** Every `{"demand": ...}` received, in order. */
  readonly demands: boolean[];
  send(jpeg: Buffer, captureTime?: number): Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

export function connectPublisher(port: number, token?: string): Promise<PublisherSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/publish/mjpeg`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const demands: boolean[] = [];
  ws.on('message', (data, isBinary) => {
    if (!isBinary) demands.push((JSON.parse(String(data)) as { demand: boolean }).demand);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, res })));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        demands,
        closed,
        send: (jpeg, captureTime = Date.now()) =>
          new Promise<void>((done, fail) => ws.send(encodeFrameMessage(captureTime, jpeg), (error) => (error ? fail(error) : done()))),
        async close() {
          if (ws.readyState !== ws.CLOSED) ws.close();
          await closed;
        },
      }),
    );
  });
}

export interface Part {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly receivedAt: number;
}

export interface MjpegViewer {
  readonly res: IncomingMessage;
  readonly parts: Part[];
  /** Bytes received so far. */
  bytes: number;
  waitForParts(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Parses `--boundary\r\n headers \r\n\r\n body(Content-Length) \r\n` parts as they arrive. */
export function createMultipartParser(boundary: string, onPart: (part: Part) => void): (chunk: Buffer) => void {
  const marker = Buffer.from(`--${boundary}\r\n`);
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      const start = pending.indexOf(marker);
      if (start < 0) return;
      const headEnd = pending.indexOf('\r\n\r\n', start + marker.length);
      if (headEnd < 0) return;
      const headers: Record<string, string> = {};
      for (const line of pending
        .subarray(start + marker.length, headEnd)
        .toString('latin1')
        .split('\r\n')) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      if (!Number.isSafeInteger(length)) throw new Error(`part without Content-Length: ${JSON.stringify(headers)}`);
      const bodyStart = headEnd + 4;
      if (pending.length < bodyStart + length + 2) return;
      onPart({ headers, body: Buffer.from(pending.subarray(bodyStart, bodyStart + length)), receivedAt: Date.now() });
      if (pending.subarray(bodyStart + length, bodyStart + length + 2).toString() !== '\r\n') throw new Error('part body not followed by CRLF');
      pending = pending.subarray(bodyStart + length + 2);
    }
  };
}

export function openViewer(port: number, path = '/mjpeg'): Promise<MjpegViewer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      const boundary = /boundary=([^;]+)/.exec(res.headers['content-type'] ?? '')?.[1] ?? '';
      const viewer: MjpegViewer = {
        res,
        parts: [],
        bytes: 0,
        async waitForParts(count, timeoutMs = 10_000) {
          const deadline = Date.now() + timeoutMs;
          while (viewer.parts.length < count) {
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} parts (got ${viewer.parts.length})`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
        close: () => req.destroy(),
      };
      const parse = createMultipartParser(boundary, (part) => viewer.parts.push(part));
      res.on('data', (chunk: Buffer) => {
        viewer.bytes += chunk.length;
        parse(chunk);
      });
      res.on('error', () => {});
      resolve(viewer);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
