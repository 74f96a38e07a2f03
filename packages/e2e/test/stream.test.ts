// The whole core, end to end: a real publisher process on the test pattern -> a real streamer
// -> the playlist, the segments (checked by ffprobe), ffmpeg reading the stream, and a clean stop.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descendants, isAlive, startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

const run = promisify(execFile);

async function probeSegment(url: string) {
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=codec_name,width,height,nb_read_packets,r_frame_rate',
    '-of',
    'json',
    url,
  ]);
  const stream = JSON.parse(stdout).streams[0];
  const [num, den] = String(stream.r_frame_rate).split('/').map(Number) as [number, number];
  return { codec: stream.codec_name, width: stream.width, height: stream.height, seconds: Number(stream.nb_read_packets) / (num / den) };
}

describe('publisher -> streamer, end to end', () => {
  let streamer: RunningStreamer;
  let publisher: Spawned;
  const ffmpegPids = new Set<number>();

  beforeAll(async () => {
    streamer = await startStreamer();
    publisher = startPublisher(streamer.url, ['--input', 'test', '--size', '320x240', '--fps', '25', '--segment-seconds', '2']);
  });

  afterAll(async () => {
    await stopAll(publisher);
    await streamer?.close();
  });

  it('lists at least 3 segments, each H.264 at the asked size and 2 s long', async () => {
    const { playlist } = await waitFor('3 segments in the playlist', async () => {
      for (const pid of descendants(publisher.child.pid!)) ffmpegPids.add(pid);
      const current = await fetchPlaylist(streamer.url);
      return current.playlist.segments.length >= 3 ? current : undefined;
    });
    expect(ffmpegPids.size).toBeGreaterThanOrEqual(1);
    expect(playlist.targetDuration).toBe(2);
    expect(playlist.endlist).toBe(false);
    for (const segment of playlist.segments) {
      expect(segment.duration).toBeGreaterThan(1.75);
      expect(segment.duration).toBeLessThan(2.25);
      expect(segment.programDateTime).toBeInstanceOf(Date);
      const probe = await probeSegment(new URL(segment.uri, `${streamer.url}/stream.m3u8`).href);
      expect(probe).toMatchObject({ codec: 'h264', width: 320, height: 240 });
      expect(Math.abs(probe.seconds - 2)).toBeLessThanOrEqual(0.25);
    }
  });

  it('can be read by ffmpeg itself through /stream.m3u8', async () => {
    const { stderr } = await run('ffmpeg', ['-hide_banner', '-nostdin', '-i', `${streamer.url}/stream.m3u8`, '-t', '3', '-c', 'copy', '-f', 'null', '-']);
    expect(stderr).toMatch(/Video: h264/);
  });

  it('on SIGINT publishes the last segment, ends the playlist and leaves no ffmpeg behind', async () => {
    for (const pid of descendants(publisher.child.pid!)) ffmpegPids.add(pid);
    const before = (await fetchPlaylist(streamer.url)).playlist;
    const lastBefore = before.mediaSequenceBase! + before.segments.length - 1;
    publisher.child.kill('SIGINT');
    const exit = await publisher.exited;
    expect(exit, publisher.output()).toEqual({ code: 0, signal: null });
    const { text, playlist } = await fetchPlaylist(streamer.url);
    expect(text.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(playlist.endlist).toBe(true);
    // The partial segment in the encoder when the signal came was flushed and published too.
    expect(playlist.mediaSequenceBase! + playlist.segments.length - 1).toBeGreaterThan(lastBefore);
    for (const pid of ffmpegPids) expect(isAlive(pid), `ffmpeg ${pid} still running`).toBe(false);
  });
});
