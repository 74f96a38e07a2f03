import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseVideoMessage, encodeVideoMessage, rtpTimestamp } from '@hls-live/protocol';
import { createWebRtcSessions, type WebRtcSessions } from '../../src/webrtc/sessions.js';
import { createVideoHub, type VideoHub } from '../../src/webrtc/video-hub.js';
import { createViewerPeer, freeUdpPort, makeAccessUnits, until, type ViewerPeer } from '../helpers/webrtc.js';

let units: Uint8Array[];
beforeAll(async () => {
  units = await makeAccessUnits(90, '320x240', 30);
});

let hub: VideoHub;
let sessions: WebRtcSessions;
const peers: ViewerPeer[] = [];
let feeding: NodeJS.Timeout | undefined;

async function setUp(options: { maxSessions?: number; silenceTimeoutMs?: number } = {}) {
  hub = createVideoHub({ idleMs: 1000 });
  sessions = createWebRtcSessions(
    hub,
    { port: await freeUdpPort(), host: '127.0.0.1', maxSessions: options.maxSessions ?? 10, ...options },
    pino({ level: 'silent' }),
  );
}

// Feeds the hub as the ingest does: one access unit per 1/30 s with the wall clock as capture time.
function feed() {
  let i = 0;
  feeding = setInterval(() => {
    hub.publish(parseVideoMessage(encodeVideoMessage(Date.now(), units[i % units.length]!)));
    i++;
  }, 1000 / 30);
}

async function connect(): Promise<{ peer: ViewerPeer; id: string; answer: string }> {
  const peer = await createViewerPeer();
  peers.push(peer);
  const { id, sdp } = await sessions.create(peer.offer);
  peer.accept(sdp);
  return { peer, id, answer: sdp };
}

afterEach(() => {
  clearInterval(feeding);
  for (const peer of peers.splice(0)) peer.close();
  sessions?.close();
  hub?.close();
});
afterAll(() => undefined);

describe('WebRTC sessions', () => {
  it('answer on the one mux port at the announced address, and deliver frames starting with a keyframe', async () => {
    await setUp();
    feed();
    const { peer, answer } = await connect();
    expect(answer).toMatch(/^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 \d+ typ host\r?$/m);
    expect(answer).toMatch(/^a=sendonly\r?$/m);
    expect(answer).toMatch(/^a=rtpmap:102 H264\/90000\r?$/m);
    await until('30 frames', () => peer.counts.frames >= 30);
    expect(peer.counts.keyframes).toBeGreaterThanOrEqual(1);
    expect(sessions.stats()).toMatchObject({ active: 1, started: 1, ended: 0 });
    expect(sessions.stats().bytesSent).toBeGreaterThan(0);
  });

  it('start a late viewer from the cached GOP at once, and keep RTP timestamps on the capture clock', async () => {
    await setUp();
    feed();
    // Past the first keyframe, into the GOP.
    await until('frames into the GOP', () => hub.stats().gopFrames >= 15);
    const before = Date.now();
    const { peer } = await connect();
    await until('a frame', () => peer.counts.frames > 0);
    // The burst holds the GOP so far: many frames before the next live one is due.
    // At once: live frames alone would take half a second for 15.
    await until('the burst', () => peer.counts.frames >= 15, 300);
    expect(peer.counts.keyframes).toBe(1);
    expect(peer.firstPacketAt! - before).toBeLessThan(2500);
    await until('live frames', () => peer.counts.frames >= 45);
    const live = peer.timestamps.at(-1)!;
    // The newest frame's timestamp is the capture clock of a frame sent within the last second.
    const now = rtpTimestamp(Date.now());
    expect((now - live) >>> 0).toBeLessThan(90_000);
    // Never backwards.
    for (let i = 1; i < peer.timestamps.length; i++) expect((peer.timestamps[i]! - peer.timestamps[i - 1]!) >>> 0 < 2 ** 31).toBe(true);
  });

  it('end on delete and refuse past the most sessions, leaving the others playing', async () => {
    await setUp({ maxSessions: 2 });
    feed();
    const a = await connect();
    const b = await connect();
    const third = await createViewerPeer();
    peers.push(third);
    await expect(sessions.create(third.offer)).rejects.toMatchObject({ code: 'TOO_MANY_WEBRTC_VIEWERS' });
    await until('both playing', () => a.peer.counts.frames > 10 && b.peer.counts.frames > 10);
    expect(sessions.delete(a.id)).toBe(true);
    expect(sessions.delete(a.id)).toBe(false);
    const [af, bf] = [a.peer.counts.frames, b.peer.counts.frames];
    await new Promise((r) => setTimeout(r, 700));
    expect(a.peer.counts.frames - af).toBeLessThanOrEqual(1);
    expect(b.peer.counts.frames - bf).toBeGreaterThan(10);
    expect(sessions.stats()).toMatchObject({ active: 1, started: 2, ended: 1 });
  });

  it('close a session whose viewer went silent', async () => {
    await setUp({ silenceTimeoutMs: 1500 });
    feed();
    const { peer } = await connect();
    await until('frames', () => peer.counts.frames > 5);
    // Closing the peer sends a DTLS close; the session goes at once or at the silence timeout.
    peer.close();
    await until('the session removed', () => sessions.stats().active === 0, 5000);
    expect(sessions.stats().ended).toBe(1);
  });
});
