// Face boxes in the published video: a real publisher on a still photo with faces -> streamer;
// a published segment decoded by ffmpeg has box-green pixels around each labelled face and
// nowhere else. The same check on a run with `--detector off` proves the check can fail.
import { countGreen, FACE_PHOTO, faceRects, frameRgb } from './helpers/faces.js';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

const WIDTH = 640;
const HEIGHT = 480;

async function publishPhoto(streamer: RunningStreamer, detector: string): Promise<{ publisher: Spawned; segmentUrl: string }> {
  const publisher = startPublisher(streamer.url, [
    '--input',
    FACE_PHOTO,
    '--size',
    `${WIDTH}x${HEIGHT}`,
    '--fps',
    '25',
    '--detector',
    detector,
    '--mjpeg',
    'off',
  ]);
  const segment = await waitFor(
    'a second segment',
    async () => {
      const { playlist } = await fetchPlaylist(streamer.url);
      // The second segment: by then the detector has answered and the boxes are steady.
      return playlist.segments[1];
    },
    60_000,
  );
  return { publisher, segmentUrl: new URL(segment.uri, `${streamer.url}/stream.m3u8`).href };
}

describe('face boxes in the stream', () => {
  let streamer: RunningStreamer | undefined;
  let publisher: Spawned | undefined;

  afterEach(async () => {
    await stopAll(publisher);
    await streamer?.close();
  });

  it('draws a box around every labelled face and nothing elsewhere', async () => {
    streamer = await startStreamer();
    const published = await publishPhoto(streamer, 'blazeface');
    publisher = published.publisher;
    const faces = await faceRects('sample1.jpg', WIDTH, HEIGHT);
    const green = countGreen(await frameRgb(published.segmentUrl), faces, WIDTH, HEIGHT);
    // A 3 px box around a ~60x80 px face is several hundred pixels; stray green would be noise.
    for (const count of green.near) expect(count, JSON.stringify(green)).toBeGreaterThan(200);
    expect(green.elsewhere, JSON.stringify(green)).toBeLessThan(50);
  });

  it('draws nothing with --detector off (so the check above can fail)', async () => {
    streamer = await startStreamer();
    const published = await publishPhoto(streamer, 'off');
    publisher = published.publisher;
    const green = countGreen(await frameRgb(published.segmentUrl), await faceRects('sample1.jpg', WIDTH, HEIGHT), WIDTH, HEIGHT);
    for (const count of green.near) expect(count).toBeLessThan(20);
  });
});
