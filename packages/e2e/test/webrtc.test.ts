// WebRTC playback end to end: a real publisher on the test pattern -> a real streamer -> Chromium
// playing over WHEP, all on loopback (the streamer binds and announces 127.0.0.1).
import { createSocket } from 'node:dgram';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, WEBRTC_LOOPBACK_ARGS } from './helpers/browser.js';
import { startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

/** A free UDP port below the ephemeral range, so no peer is handed the same number. */
async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

interface Playback {
  width: number;
  height: number;
  framesDecoded: number;
  state: string;
}

/** Opens a WHEP session from the page, as a browser viewer does: recvonly video, offer, answer. */
async function watch(page: Page, url: string): Promise<{ location: string; answeredAt: number }> {
  await page.goto(`${url}/healthz`);
  return page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    document.body.append(video);
    pc.ontrack = (event) => {
      video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      void video.play();
    };
    await pc.setLocalDescription(await pc.createOffer());
    // No trickle: wait for every candidate to be in the offer.
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
    const res = await fetch('/whep', { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
    if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${await res.text()}`);
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    Object.assign(window, { pc, video });
    return { location: res.headers.get('Location')!, answeredAt: Date.now() };
  });
}

function playback(page: Page): Promise<Playback> {
  return page.evaluate(async () => {
    const { pc, video } = window as unknown as { pc: RTCPeerConnection; video: HTMLVideoElement };
    let framesDecoded = 0;
    (await pc.getStats()).forEach((report: { type: string; kind?: string; framesDecoded?: number }) => {
      if (report.type === 'inbound-rtp' && report.kind === 'video') framesDecoded = report.framesDecoded ?? 0;
    });
    return { width: video.videoWidth, height: video.videoHeight, framesDecoded, state: pc.connectionState };
  });
}

async function until(page: Page, what: string, ok: (p: Playback) => boolean, timeoutMs = 15_000): Promise<Playback> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await playback(page);
    if (ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('WebRTC playback (WHEP) from a real publisher in Chromium', () => {
  let streamer: RunningStreamer;
  let publisher: Spawned;
  let browser: Browser;

  beforeAll(async () => {
    streamer = await startStreamer({ webrtc: true, webrtcPort: await freeUdpPort(), webrtcHost: '127.0.0.1' });
    publisher = startPublisher(streamer.url, ['--input', 'test', '--size', '640x480', '--fps', '30', '--detector', 'off']);
    browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
    // Wait for the stream to be live (the first segment) before anyone watches.
    const deadline = Date.now() + 30_000;
    while (!((await (await fetch(`${streamer.url}/healthz`)).json()) as { live?: boolean }).live) {
      if (Date.now() > deadline) throw new Error(`the stream never went live:\n${publisher.output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stopAll(publisher);
    await streamer?.close();
  });

  it('decodes frames at the published size, two viewers at once; DELETE stops one and not the other', async () => {
    const [a, b] = [await browser.newPage(), await browser.newPage()];
    const sessionA = await watch(a, streamer.url);
    await watch(b, streamer.url);
    await until(a, 'the first decoded frame', (p) => p.framesDecoded > 0, 2500);
    // Target 1 s, at most 2.5 s from the answer to the first decoded frame (polled every 100 ms).
    expect(Date.now() - sessionA.answeredAt).toBeLessThan(2500);
    const playing = await until(a, 'frames at the published size', (p) => p.width === 640 && p.height === 480 && p.framesDecoded > 30);
    expect(playing).toMatchObject({ width: 640, height: 480, state: 'connected' });
    await until(b, 'the second viewer playing', (p) => p.width === 640 && p.framesDecoded > 30);

    const status = await a.evaluate(async (location) => (await fetch(location, { method: 'DELETE' })).status, sessionA.location);
    expect(status).toBe(204);
    await new Promise((r) => setTimeout(r, 500));
    const [a1, b1] = [await playback(a), await playback(b)];
    await new Promise((r) => setTimeout(r, 2000));
    const [a2, b2] = [await playback(a), await playback(b)];
    expect(a2.framesDecoded - a1.framesDecoded).toBe(0);
    expect(b2.framesDecoded - b1.framesDecoded).toBeGreaterThan(30);
    await a.close();
    await b.close();
  }, 60_000);

  it('the viewer page plays WebRTC first, shows its latency, and leaves its session when switched to HLS', async () => {
    const sessions = async () => Number(/^hls_webrtc_sessions_active (\d+)$/m.exec(await (await fetch(`${streamer.url}/metrics`)).text())?.[1]);
    // The second viewer's tab of the test before was closed without a DELETE: its session ends by silence (no RTCP) within 30 s.
    const gone = Date.now() + 30_000;
    while ((await sessions()) !== 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 200));
    expect(await sessions()).toBe(0);
    const page = await browser.newPage();
    await page.goto(`${streamer.url}/`);
    const deadline = Date.now() + 15_000;
    let viewer: { engine: string | null; state: string; latency: number | null; view: string } | undefined;
    for (;;) {
      viewer = await page.evaluate(() => (window as unknown as { viewer: NonNullable<typeof viewer> }).viewer);
      if (viewer.state === 'playing' && viewer.latency !== null) break;
      if (Date.now() > deadline) throw new Error(`the page did not play WebRTC: ${JSON.stringify(viewer)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(viewer).toMatchObject({ engine: 'WebRTC (WHEP)', view: 'webrtc', state: 'playing' });
    // Behind live by the capture clock in the RTP timestamps: well under a second on loopback.
    expect(viewer.latency).toBeGreaterThan(0);
    expect(viewer.latency).toBeLessThan(1);
    const size = await page.evaluate(() => {
      const v = document.querySelector('video')!;
      return [v.videoWidth, v.videoHeight];
    });
    expect(size).toEqual([640, 480]);
    expect(await sessions()).toBe(1);
    await page.click('#view-hls');
    const left = Date.now() + 5000;
    while ((await sessions()) !== 0 && Date.now() < left) await new Promise((r) => setTimeout(r, 100));
    expect(await sessions()).toBe(0);
    await page.close();
  }, 60_000);
});
