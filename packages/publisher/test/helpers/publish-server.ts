// A small real HTTP server standing in for the streamer: records every publish request and
// answers what the test tells it to (or refuses connections while "down").
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  at: number;
}

export type Responder = (req: Received) => { status: number; body?: unknown } | undefined;

export interface PublishServer {
  url: string;
  received: Received[];
  /** Segment posts only (not /publish/end). */
  segments(): Received[];
  respond(responder: Responder | undefined): void;
  /** Stops listening (connections refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
  waitFor(what: string, ok: () => boolean, timeoutMs?: number): Promise<void>;
}

export async function startPublishServer(): Promise<PublishServer> {
  const received: Received[] = [];
  let responder: Responder | undefined;
  let server: Server;
  let port = 0;

  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    // Only publish POSTs are recorded: the MJPEG preview's WebSocket attempts are not the streamer's business here.
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      received.push(entry);
      const answer =
        responder?.(entry) ??
        (entry.url === '/publish/end' ? { status: 200, body: { sequence: null, ended: true } } : { status: 201, body: { sequence: received.length } });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  };

  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer(handler);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  await listen();

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    segments: () => received.filter((r) => r.url !== '/publish/end'),
    respond: (r) => (responder = r),
    down: stop,
    up: listen,
    close: stop,
    async waitFor(what, ok, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
