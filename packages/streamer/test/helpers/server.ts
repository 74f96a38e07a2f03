// A real streamer on port 0 with its own media folder, and a raw HTTP client that sends paths
// exactly as written (fetch would normalise `..` and `%2e%2e` away before they reach the server).
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { createStreamer, type Streamer } from '../../src/streamer.js';
import type { StreamerOptions } from '../../src/options.js';
import { afterEach } from 'vitest';
import { tempDir } from './fixtures.js';

export interface TestServer {
  readonly streamer: Streamer;
  readonly port: number;
  readonly url: string;
  /** The parent of the media folder: nothing may ever be written here. */
  readonly root: string;
  readonly mediaDir: string;
  close(): Promise<void>;
}

export async function startServer(options: StreamerOptions = {}): Promise<TestServer> {
  const tmp = await tempDir();
  const mediaDir = join(tmp.path, 'media');
  const streamer = createStreamer({ mediaDir, logger: pino({ level: 'silent' }), ...options });
  const { port, url } = await streamer.listen(0, '127.0.0.1');
  return {
    streamer,
    port,
    url,
    root: tmp.path,
    mediaDir,
    async close() {
      await streamer.close();
      await tmp.remove();
    },
  };
}

/** A `startServer` whose servers are all closed after each test of the calling file. */
export function useServers(): (options?: StreamerOptions) => Promise<TestServer> {
  const servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (options = {}) => {
    const started = await startServer(options);
    servers.push(started);
    return started;
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers field by field, and expect() checks each one.
  json(): any;
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

export function raw(port: number, req: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const client = request({ host: '127.0.0.1', port, method: req.method ?? 'GET', path: req.path, headers: req.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
      });
      res.on('error', reject);
    });
    client.on('error', reject);
    client.end(req.body);
  });
}

export interface Publish {
  readonly name: string;
  readonly duration?: number | string;
  readonly body?: Buffer;
  readonly session?: string;
  readonly pdt?: string;
  readonly target?: string;
  readonly token?: string;
  /** Sent as `X-Stream`; none publishes `default`. */
  readonly stream?: string;
}

export function publish(port: number, p: Publish): Promise<RawResponse> {
  const headers: Record<string, string> = { 'Content-Type': 'video/mp2t', 'X-Publisher-Session': p.session ?? 'session-a' };
  if (p.stream !== undefined) headers['X-Stream'] = p.stream;
  if (p.pdt !== undefined) headers['X-Program-Date-Time'] = p.pdt;
  if (p.target !== undefined) headers['X-Target-Duration'] = p.target;
  if (p.token !== undefined) headers.Authorization = `Bearer ${p.token}`;
  return raw(port, { method: 'POST', path: `/publish/${p.name}/${p.duration ?? 1}`, headers, body: p.body ?? Buffer.alloc(0) });
}

export interface PublishPart {
  /** The segment the part belongs to. */
  readonly segment: string;
  readonly index: number;
  readonly body: Buffer;
  /** The last part of its segment. */
  readonly last?: boolean;
  readonly token?: string;
  readonly stream?: string;
}

/** A Low-Latency HLS part of 0.2 s (1 s segments); the first of a segment is independent. */
export function publishPart(port: number, p: PublishPart): Promise<RawResponse> {
  const headers: Record<string, string> = {
    'Content-Type': 'video/mp2t',
    'X-Publisher-Session': 'session-a',
    'X-Target-Duration': '1',
    'X-Part-Index': String(p.index),
    'X-Part-Target': '0.2',
    'X-Independent': p.index === 0 ? '1' : '0',
    ...(p.last ? { 'X-Segment-End': '1' } : {}),
    ...(p.stream !== undefined ? { 'X-Stream': p.stream } : {}),
  };
  if (p.token !== undefined) headers.Authorization = `Bearer ${p.token}`;
  return raw(port, { method: 'POST', path: `/publish/${p.segment}/0.2`, headers, body: p.body });
}

export function endStream(port: number, token?: string, stream?: string): Promise<RawResponse> {
  const headers: Record<string, string> = { 'X-Publisher-Session': 'session-a', ...(stream !== undefined ? { 'X-Stream': stream } : {}) };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  return raw(port, { method: 'POST', path: '/publish/end', headers });
}

export async function playlistText(port: number, stream?: string): Promise<string> {
  return (await raw(port, { path: stream === undefined ? '/stream.m3u8' : `/live/${stream}/stream.m3u8` })).body.toString();
}

/** Every entry below `dir`, recursively, as relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map(String).sort();
}
