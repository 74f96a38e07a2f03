// The origin of the edge tests: the built hls-streamer as its own process on a fixed loopback
// port (so its work does not disturb the timing of the viewers simulated in the test process),
// which can be stopped and started again on the same port and media folder (an origin outage),
// and whose own Prometheus counters (`GET /metrics`) say how many requests reached it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './nginx.js';
import { type Spawned, startStreamerProcess, stopAll } from './processes.js';

export interface Origin {
  readonly url: string;
  /** host:port, as the edge template's HLS_ORIGIN takes it. */
  readonly address: string;
  readonly mediaDir: string;
  /** Requests the origin answered since it (last) started, from its own metrics. */
  counts(): Promise<{ playlist: number; segments: number }>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Sum of every sample of a counter in Prometheus text (all status labels). */
export function counter(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export async function startOrigin(extraArgs: string[] = []): Promise<Origin> {
  const mediaDir = await mkdtemp(join(tmpdir(), 'e2e-origin-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let current: Spawned | undefined;
  const origin: Origin = {
    url,
    address: `127.0.0.1:${port}`,
    mediaDir,
    async counts() {
      const text = await (await fetch(`${url}/metrics`)).text();
      return { playlist: counter(text, 'hls_playlist_requests_total'), segments: counter(text, 'hls_segment_requests_total') };
    },
    async start() {
      const started = startStreamerProcess(['--port', String(port), '--host', '127.0.0.1', '--media-dir', mediaDir, '--log-level', 'warn', ...extraArgs]);
      current = started;
      const deadline = Date.now() + 20_000;
      for (;;) {
        if (started.child.exitCode !== null) throw new Error(`the origin exited with ${started.child.exitCode}: ${started.output()}`);
        const res = await fetch(`${url}/healthz`).catch(() => undefined);
        if (res) {
          await res.arrayBuffer();
          return;
        }
        if (Date.now() > deadline) throw new Error(`the origin did not answer on ${url}: ${started.output()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const running = current;
      current = undefined;
      if (!running || running.child.exitCode !== null) return;
      // SIGTERM: the streamer closes its server and saves its state, as in a real restart.
      running.child.kill('SIGTERM');
      const timer = setTimeout(() => void stopAll(running), 10_000);
      await running.exited;
      clearTimeout(timer);
    },
    async close() {
      await origin.stop();
      await rm(mediaDir, { recursive: true, force: true });
    },
  };
  await origin.start();
  return origin;
}
