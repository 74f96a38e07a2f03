// Keyframes asked for live (issue 12): a WHIP publisher that, like a browser encoder, starts
// mid-GOP and sends an IDR only when asked by RTCP PLI/FIR. The WHIP server must ask at start and
// again while it waits, and after a loss; segments reach the real streamer only once answered.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../../src/index.js';
import type { IngestSession, SessionIngest } from '../../src/pipeline/ingest.js';
import { createWhipServer, type WhipServer } from '../../src/whip/server.js';
import type { WhipSession } from '../../src/whip/session.js';
import { isAlive } from '../helpers/media.js';
import { startStreamer, waitFor, type RealStreamer } from '../helpers/streamer.js';
import { h264Frames, isIdr, makeH264, startWhipSender, type WhipSender } from '../helpers/whip-sender.js';

const KEYFRAME_DELAY_MS = 1200;

let work: string;
let streamer: RealStreamer;
let whip: WhipServer;
let url: string;
let publisher: Publisher;
let frames: Buffer[];
const sessions: IngestSession[] = [];
const pids = new Set<number>();
/** When the stage saw its first frame. */
let firstFrameAt = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'whip-keyframe-'));
  await makeH264(join(work, 'a.h264'), { gop: 30 });
  frames = await h264Frames(join(work, 'a.h264'));
  streamer = await startStreamer();
  const logger = pino({ level: process.env.WHIP_TEST_LOG ?? 'silent' });
  whip = createWhipServer({ port: 0, host: '127.0.0.1', logger });
  url = await whip.listen();
  // The real WHIP server, its sessions seen on their way to the pipeline (for their stats).
  const ingest: SessionIngest = {
    serve: (handlers) =>
      whip.serve({
        begin(session) {
          sessions.push(session);
          handlers.begin(session);
        },
        end: (session) => handlers.end(session),
      }),
  };
  publisher = createPublisher({
    input: 'whip',
    whip: ingest,
    streamer: streamer.url,
    width: 320,
    height: 240,
    fps: 30,
    segmentSeconds: 1,
    tempDir: work,
    stage: {
      name: 'first-frame',
      async start() {},
      process() {
        firstFrameAt ||= Date.now();
      },
      async stop() {},
    },
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

const segmentCount = () => streamer.streamer.live.state().segments.length;
const stats = () => (sessions[sessions.length - 1] as WhipSession).stats();

describe('keyframes asked for over RTCP (PLI) from a live WHIP publisher', () => {
  let sender: WhipSender;
  let connectedAt = 0;

  it('asks a publisher that starts mid-GOP for a keyframe within 2 s, and again while it waits', async () => {
    expect(frames.filter(isIdr).length).toBeGreaterThan(1);
    expect(isIdr(frames[1]!)).toBe(false);
    sender = await startWhipSender({ url, keyframesOnRequest: true, keyframeDelayMs: KEYFRAME_DELAY_MS });
    expect(sender.status).toBe(201);
    connectedAt = Date.now();
    sender.play(frames, 30);
    await waitFor('a PLI at the sender', () => sender.feedback.pli.length + sender.feedback.fir.length >= 1, 4000);
    const firstAsk = Math.min(...sender.feedback.pli, ...sender.feedback.fir);
    expect(firstAsk - connectedAt).toBeLessThan(2000);
    expect(sender.feedback.pli.length).toBeGreaterThanOrEqual(1);
    expect(stats().keyframeRequests).toBeGreaterThanOrEqual(1);
    // Frames flow but none is a keyframe yet: nothing reaches the capture, nothing is segmented.
    await waitFor('packets at the server', () => stats().packets > 0, 3000);
    expect(sender.feedback.keyframesSent).toEqual([]);
    expect(stats().units).toBe(0);
    expect(firstFrameAt).toBe(0);
    expect(segmentCount()).toBe(0);
  });

  it('segments the stream once the sender answers, and not before', async () => {
    await waitFor('the IDR answering the PLI', () => sender.feedback.keyframesSent.length >= 1, 4000);
    const idrAt = sender.feedback.keyframesSent[0]!;
    // The server kept asking while it waited (every KEYFRAME_RETRY_MS, 500 ms) for the delayed IDR.
    expect(sender.feedback.pli.filter((at) => at < idrAt).length).toBeGreaterThanOrEqual(2);
    await waitFor('2 segments', () => segmentCount() >= 2, 12_000);
    for (const pid of publisher.pids()) pids.add(pid);
    expect(firstFrameAt).toBeGreaterThanOrEqual(idrAt);
    expect(stats().units).toBeGreaterThan(10);
  });

  it('asks again after a loss, and segments keep coming once answered', async () => {
    const asked = sender.feedback.pli.length + sender.feedback.fir.length;
    const answered = sender.feedback.keyframesSent.length;
    const before = segmentCount();
    const lostAt = Date.now();
    sender.drop(5);
    await waitFor('a PLI after the loss', () => sender.feedback.pli.length + sender.feedback.fir.length > asked, 4000);
    expect(Math.max(...sender.feedback.pli, ...sender.feedback.fir) - lostAt).toBeLessThan(2000);
    expect(stats().lost).toBeGreaterThanOrEqual(5);
    await waitFor('the IDR answering it', () => sender.feedback.keyframesSent.length > answered, 4000);
    await waitFor('2 more segments', () => segmentCount() >= before + 2, 12_000);
    for (const pid of publisher.pids()) pids.add(pid);
    expect(await sender.remove()).toBe(200);
    await waitFor('capture and encoder gone', () => publisher.pids().length === 0, 8000);
  });
});
