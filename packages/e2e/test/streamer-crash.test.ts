// The streamer killed with SIGKILL mid-stream and started again on the same port and media
// folder: the publisher (a real process) queues and re-sends, the window and media sequence
// come back from the state the streamer saved, and no segment inside the queue bound is lost.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { descendants, startPublisher, startStreamerProcess, stopAll, type Spawned } from './helpers/processes.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('streamer SIGKILL and restart', () => {
  const running: Spawned[] = [];
  let mediaDir = '';
  afterAll(async () => {
    await stopAll(...running);
    if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
  });

  it('continues the media sequence and loses no queued segment', async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'e2e-crash-'));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const args = ['--port', String(port), '--host', '127.0.0.1', '--media-dir', mediaDir, '--window', '6', '--log-level', 'info'];
    const first = startStreamerProcess(args);
    running.push(first);
    await waitFor('the streamer', async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined));
    const publisher = startPublisher(url, [
      '--input',
      'test',
      '--size',
      '160x120',
      '--fps',
      '10',
      '--segment-seconds',
      '1',
      '--queue',
      '30',
      '--detector',
      'off',
      '--mjpeg',
      'off',
    ]);
    running.push(publisher);

    // name -> media sequence, from every playlist seen, before and after the crash.
    const seen = new Map<string, number>();
    const record = async () => {
      const { playlist } = await fetchPlaylist(url);
      playlist.segments.forEach((s, i) => {
        const sequence = playlist.mediaSequenceBase! + i;
        const before = seen.get(s.uri);
        if (before !== undefined && before !== sequence) throw new Error(`${s.uri} moved from sequence ${before} to ${sequence}`);
        seen.set(s.uri, sequence);
      });
      return playlist;
    };
    const poll = (n: number) => async () => ((await record()).segments.length >= n ? true : undefined);
    await waitFor('3 segments', poll(3), 60_000);
    const beforeCrash = await record();

    first.child.kill('SIGKILL');
    await first.exited;
    // Long enough for the publisher to cut and queue segments while nobody answers.
    await new Promise((r) => setTimeout(r, 3000));
    const second = startStreamerProcess(args);
    running.push(second);
    await waitFor('the restarted streamer', async () => ((await fetch(`${url}/healthz`)).ok ? true : undefined));
    const restored = await record();
    expect(restored.mediaSequenceBase).toBeGreaterThanOrEqual(beforeCrash.mediaSequenceBase!);
    expect(restored.segments.length).toBeGreaterThanOrEqual(beforeCrash.segments.length);

    const countAtRestart = seen.size;
    await waitFor(
      'segments queued during the outage, and new ones',
      async () => {
        await record();
        return seen.size >= countAtRestart + 6 ? true : undefined;
      },
      60_000,
    );
    const final = await record();
    expect(second.output()).toContain('window restored from the media folder');

    // Every segment name the publisher cut, from the first seen to the last, is there once,
    // in order, with consecutive media sequence numbers: nothing lost, nothing reordered.
    const entries = [...seen.entries()].sort((a, b) => a[1] - b[1]);
    const indexOf = (name: string) => Number(/-(\d+)\.ts$/.exec(name)![1]);
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i]![1]).toBe(entries[i - 1]![1] + 1);
      expect(indexOf(entries[i]![0])).toBe(indexOf(entries[i - 1]![0]) + 1);
    }
    // One session throughout: the restart is no discontinuity for the player.
    expect(final.segments.every((s) => !s.discontinuity)).toBe(true);

    publisher.child.kill('SIGTERM');
    expect((await publisher.exited).code).toBe(0);
    expect(descendants(publisher.child.pid!)).toEqual([]);
  });
});
