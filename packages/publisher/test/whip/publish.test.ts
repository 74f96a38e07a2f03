// A WHIP publisher (node-datachannel sending real H.264) -> the WHIP server -> capture ffmpeg ->
// frame stage -> encoder -> the real streamer: segments at --size, sessions, DELETE, vanishing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Frame, type FrameStage, type Publisher } from '../../src/index.js';
import { createWhipServer, type WhipServer } from '../../src/whip/server.js';
import { isAlive, probeFile } from '../helpers/media.js';
import { startStreamer, waitFor, type RealStreamer } from '../helpers/streamer.js';
import { h264Frames, makeH264, startWhipSender, type WhipSender } from '../helpers/whip-sender.js';

let work: string;
let streamer: RealStreamer;
let whip: WhipServer;
let url: string;
let publisher: Publisher;
let frames: Buffer[];
let rotated: Buffer[];
const stageFrames: Frame[] = [];
/** Luma of the last frame at a top-edge and a left-edge point, where letterbox bars would be. */
let edges = { top: 0, left: 0 };
const pids = new Set<number>();

const stage: FrameStage = {
  name: 'probe',
  async start() {},
  process(frame) {
    if (frame.data.length !== 320 * 240 * 1.5) throw new Error('bad frame size');
    stageFrames.push({ ...frame, data: Buffer.alloc(0) });
    edges = { top: frame.data[5 * 320 + 160]!, left: frame.data[120 * 320 + 5]! };
  },
  async stop() {},
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'whip-test-'));
  await makeH264(join(work, 'a.h264'), { size: '640x360' });
  await makeH264(join(work, 'b.h264'), { size: '240x320' });
  frames = await h264Frames(join(work, 'a.h264'));
  rotated = await h264Frames(join(work, 'b.h264'));
  streamer = await startStreamer();
  const logger = pino({ level: process.env.WHIP_TEST_LOG ?? 'silent' });
  whip = createWhipServer({ port: 0, host: '127.0.0.1', idleTimeoutMs: 1500, logger });
  url = await whip.listen();
  publisher = createPublisher({
    input: 'whip',
    whip,
    streamer: streamer.url,
    width: 320,
    height: 240,
    fps: 30,
    segmentSeconds: 1,
    tempDir: work,
    stage,
    logger,
  });
  await publisher.start();
});

afterAll(async () => {
  await publisher?.stop();
  await whip?.close();
  await streamer?.close();
  await rm(work, { recursive: true, force: true });
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

const trackPids = () => {
  for (const pid of publisher.pids()) pids.add(pid);
};

describe('publishing over WHIP', () => {
  let sender: WhipSender;

  it('waits for a publisher without any ffmpeg running', async () => {
    expect(publisher.status().state).toBe('running');
    expect(publisher.pids()).toEqual([]);
  });

  it('answers an offer with 201, the answer SDP and the session Location', async () => {
    sender = await startWhipSender({ url });
    expect(sender.status).toBe(201);
    expect(sender.location).toMatch(/^\/whip\/w[0-9a-z]+$/);
    expect(sender.body).toMatch(/^v=0/);
    expect(sender.body).toContain('a=recvonly');
    expect(sender.body).toMatch(/a=rtpmap:96 H264\/90000/);
    sender.play(frames, 30);
  });

  it('turns the stream into segments at --size within seconds, through the frame stage', async () => {
    const started = Date.now();
    await waitFor('2 segments', () => streamer.streamer.live.state().segments.length >= 2, 10_000);
    trackPids();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(stageFrames.length).toBeGreaterThan(20);
    const [first] = streamer.streamer.live.state().segments;
    const probe = await probeFile(join(streamer.mediaDir, first!.name));
    expect(probe).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    // 16:9 into 4:3: black bars above and below, the picture unstretched; none at the sides.
    expect(edges.top).toBeLessThan(20);
    expect(edges.left).toBeGreaterThan(20);
  });

  it('takes a change of resolution mid-stream (a phone rotating) without breaking the output', async () => {
    const before = streamer.streamer.live.state().segments.length;
    sender.play(rotated, 30);
    await waitFor('3 more segments', () => streamer.streamer.live.state().segments.length >= before + 3, 10_000);
    const segments = streamer.streamer.live.state().segments;
    const probe = await probeFile(join(streamer.mediaDir, segments[segments.length - 1]!.name));
    expect(probe).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(new Set(segments.map((s) => s.sessionId)).size).toBe(1);
    // Portrait into landscape: now the bars are at the sides.
    expect(edges.left).toBeLessThan(20);
    expect(edges.top).toBeGreaterThan(20);
  });

  it('ends on DELETE: the last segment is published, no ffmpeg runs, the stream waits', async () => {
    expect(await sender.remove()).toBe(200);
    await waitFor('capture and encoder gone', () => publisher.pids().length === 0, 8000);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(whip.live()).toBeUndefined();
    expect(publisher.status().state).toBe('running');
  });

  it('gives the next publisher a new session (a discontinuity)', async () => {
    const before = streamer.streamer.live.state().segments.length;
    sender = await startWhipSender({ url });
    expect(sender.status).toBe(201);
    sender.play(frames, 30);
    await waitFor('2 more segments', () => streamer.streamer.live.state().segments.length >= before + 2, 10_000);
    trackPids();
    const sessions = [...new Set(streamer.sessions())];
    // Each WHIP publisher is an encoder run of its own: the first is the session itself, or `r<n>`
    // when the stand-in sender had to take back an attempt (whip-sender.ts), which uses up a run.
    expect(sessions).toEqual([
      expect.stringMatching(new RegExp(`^${publisher.sessionId}(r\\d+)?$`)),
      expect.stringMatching(new RegExp(`^${publisher.sessionId}r\\d+$`)),
    ]);
    expect(sessions[1]).not.toBe(sessions[0]);
    expect(await streamer.playlist()).toContain('#EXT-X-DISCONTINUITY');
  });

  it('notices a publisher that vanishes (no DELETE, no packets) within a few seconds', async () => {
    sender.close();
    const gone = Date.now();
    await waitFor('session ended', () => whip.live() === undefined && publisher.pids().length === 0, 8000);
    expect(Date.now() - gone).toBeLessThan(6000);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });
});
