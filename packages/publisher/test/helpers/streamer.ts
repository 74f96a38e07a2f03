// The real streamer (`@hls-live/streamer`) on port 0 with its own media folder, for tests of how
// the publisher meets its real answers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamer, type Streamer, type StreamerOptions } from '@hls-live/streamer';
import pino from 'pino';

export interface RealStreamer {
  readonly streamer: Streamer;
  readonly url: string;
  readonly mediaDir: string;
  /** The playlist text, as a viewer gets it. */
  playlist(): Promise<string>;
  /** Sessions of the listed segments, oldest first. */
  sessions(): string[];
  close(): Promise<void>;
}

export async function startStreamer(options: StreamerOptions = {}): Promise<RealStreamer> {
  const root = await mkdtemp(join(tmpdir(), 'publisher-streamer-'));
  const mediaDir = options.mediaDir ?? join(root, 'media');
  const streamer = createStreamer({ logger: pino({ level: 'silent' }), ...options, mediaDir });
  const { url } = await streamer.listen(0, '127.0.0.1');
  return {
    streamer,
    url,
    mediaDir,
    playlist: async () => (await fetch(`${url}/stream.m3u8`)).text(),
    sessions: () => streamer.live.state().segments.map((s) => s.sessionId),
    async close() {
      await streamer.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
