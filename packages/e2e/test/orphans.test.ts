// No ffmpeg outlives the publisher, even when it is killed with SIGKILL and no exit hook runs:
// in the piped pipeline (a frame stage) and in direct mode (one ffmpeg writing to disk by itself).
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { descendants, isAlive, startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

describe('publisher killed with SIGKILL', () => {
  let streamer: RunningStreamer | undefined;
  let publisher: Spawned | undefined;

  afterEach(async () => {
    await stopAll(publisher);
    await streamer?.close();
  });

  it.each([
    ['piped (frame stage in node)', ['--detector', 'off', '--mjpeg', 'on']],
    ['direct (one ffmpeg)', ['--detector', 'off', '--mjpeg', 'off']],
  ])('%s leaves no ffmpeg running', async (_mode, flags) => {
    streamer = await startStreamer();
    publisher = startPublisher(streamer.url, ['--input', 'test', '--size', '160x120', '--fps', '10', '--segment-seconds', '1', ...flags]);
    await waitFor('a segment', async () => ((await fetchPlaylist(streamer!.url)).playlist.segments.length >= 1 ? true : undefined));
    const children = descendants(publisher.child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(1);
    publisher.child.kill('SIGKILL');
    await publisher.exited;
    await waitFor('every ffmpeg to be gone', async () => (children.every((pid) => !isAlive(pid)) ? true : undefined), 5_000);
  });
});
