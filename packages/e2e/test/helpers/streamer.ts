import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStreamer } from '@hls-live/streamer';

export interface RunningStreamer {
  url: string;
  mediaDir: string;
  close(): Promise<void>;
}

/** A real streamer on a free loopback port, with its own media folder. */
export async function startStreamer(options: Record<string, unknown> = {}): Promise<RunningStreamer> {
  const mediaDir = await mkdtemp(join(tmpdir(), 'e2e-media-'));
  const streamer = createStreamer({ mediaDir, logLevel: 'warn', ...options } as Parameters<typeof createStreamer>[0]);
  const { url } = await streamer.listen(0, '127.0.0.1');
  return {
    url,
    mediaDir,
    async close() {
      await streamer.close();
      await rm(mediaDir, { recursive: true, force: true });
    },
  };
}
