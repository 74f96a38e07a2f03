// Browser publishing over WHIP: headless Chromium with a fake camera playing a face photo
// publishes to a real `hls-publish --input whip`, which detects and boxes the faces and
// publishes to a real streamer. All WebRTC on 127.0.0.1.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, WEBRTC_LOOPBACK_ARGS } from './helpers/browser.js';
import { countGreen, FACE_PHOTO, faceRects, frameRgb } from './helpers/faces.js';
import { fetchPlaylist, waitFor } from './helpers/playlist.js';
import { descendants, isAlive, startPublisher, stopAll, type Spawned } from './helpers/processes.js';
import { startStreamer, type RunningStreamer } from './helpers/streamer.js';

const run = promisify(execFile);
const WIDTH = 640;
const HEIGHT = 480;

async function probe(url: string): Promise<{ codec_name: string; width: number; height: number }> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url]);
  return JSON.parse(stdout).streams[0];
}

/** What any WHIP client does (OBS, a script): offer the camera, POST, apply the answer. No DELETE on close. */
async function whipFromPage(page: Page, endpoint: string): Promise<{ status: number; location: string | null; codec: string }> {
  return page.evaluate(async (url) => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    const pc = new RTCPeerConnection();
    pc.addTransceiver(stream.getVideoTracks()[0]!, { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') resolve(undefined);
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve(undefined);
    });
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription!.sdp });
    const answer = await res.text();
    if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    (window as unknown as { pc: RTCPeerConnection }).pc = pc;
    return { status: res.status, location: res.headers.get('location'), codec: /a=rtpmap:\d+ (\w+)\/90000/.exec(answer)?.[1] ?? '' };
  }, endpoint);
}

let work: string;
let streamer: RunningStreamer;
let publisher: Spawned;
let browser: Browser;
let base: string;

const segmentsOf = async (session?: string) => {
  const { playlist } = await fetchPlaylist(streamer.url);
  return playlist.segments.filter((s) => session === undefined || s.uri.includes(session));
};
const ffmpegChildren = () => descendants(publisher.child.pid!);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'e2e-whip-'));
  const y4m = join(work, 'faces.y4m');
  await run('ffmpeg', ['-v', 'error', '-loop', '1', '-i', FACE_PHOTO, '-vf', `scale=${WIDTH}:${HEIGHT},format=yuv420p`, '-r', '30', '-t', '3', y4m]);
  streamer = await startStreamer();
  publisher = startPublisher(streamer.url, [
    '--input',
    'whip',
    '--whip-port',
    '0',
    '--size',
    `${WIDTH}x${HEIGHT}`,
    '--fps',
    '25',
    '--detector',
    'blazeface',
    '--mjpeg',
    'off',
    '--log-level',
    process.env.WHIP_E2E_LOG ?? 'warn',
  ]);
  base = await waitFor('the WHIP endpoint line', async () => /WHIP endpoint: (http:\/\/127\.0\.0\.1:\d+)\/whip/.exec(publisher.output())?.[1], 20_000);
  browser = await launchChromium([
    ...WEBRTC_LOOPBACK_ARGS,
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`,
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (publisher) {
    const children = ffmpegChildren();
    publisher.child.kill('SIGINT');
    const exit = await Promise.race([publisher.exited, new Promise((r) => setTimeout(r, 15_000))]);
    await stopAll(publisher);
    expect(exit).toMatchObject({ code: 0 });
    for (const pid of children) expect(isAlive(pid)).toBe(false);
  }
  await streamer?.close();
  await rm(work, { recursive: true, force: true });
}, 60_000);

describe('publishing from a browser over WHIP', () => {
  let page: Page;

  it('runs no ffmpeg before a publisher comes', () => {
    expect(ffmpegChildren()).toEqual([]);
  });

  it('publishes the fake camera: H.264 segments at --size within seconds, faces boxed where they are', async () => {
    page = await browser.newPage();
    await page.goto(`${base}/`);
    const started = Date.now();
    const answer = await whipFromPage(page, `${base}/whip`);
    expect(answer.status).toBe(201);
    expect(answer.codec).toBe('H264');
    const second = await waitFor('a second segment', async () => (await segmentsOf())[1], 30_000);
    if (process.env.WHIP_E2E_LOG) console.log(publisher.output());
    expect(Date.now() - started).toBeLessThan(10_000);
    const url = new URL(second.uri, `${streamer.url}/stream.m3u8`).href;
    expect(await probe(url)).toEqual({ codec_name: 'h264', width: WIDTH, height: HEIGHT });
    const green = countGreen(await frameRgb(url), await faceRects('sample1.jpg', WIDTH, HEIGHT), WIDTH, HEIGHT);
    for (const count of green.near) expect(count, JSON.stringify(green)).toBeGreaterThan(200);
    expect(green.elsewhere, JSON.stringify(green)).toBeLessThan(50);
  });

  it('notices a tab closed without DELETE within a few seconds; no ffmpeg is left', async () => {
    expect(ffmpegChildren().length).toBeGreaterThan(0);
    await page.close();
    const closed = Date.now();
    await waitFor('capture and encoder gone', async () => (ffmpegChildren().length === 0 ? true : undefined), 15_000);
    expect(Date.now() - closed).toBeLessThan(8000);
  });

  it('publishes from the capture page with one click, as a new session', async () => {
    const sessions = new Set((await segmentsOf()).map((s) => s.uri.split('-')[0]));
    page = await browser.newPage();
    await page.goto(`${base}/`);
    await page.waitForFunction(() => document.querySelector('#state')?.textContent?.includes('camera ready'), undefined, { timeout: 10_000 });
    await page.click('#publish');
    await page.waitForFunction(() => document.body.dataset.state === 'live', undefined, { timeout: 15_000 });
    const fresh = await waitFor('a segment of a new session', async () => (await segmentsOf()).find((s) => !sessions.has(s.uri.split('-')[0])), 30_000);
    expect(fresh.uri).toMatch(/r1-\d+\.ts$/);
    expect(fresh.discontinuity).toBe(true);
  });

  it('stops with the same button (DELETE): capture and encoder end', async () => {
    await page.click('#publish');
    await page.waitForFunction(() => document.body.dataset.state === 'stopped', undefined, { timeout: 5000 });
    await waitFor('capture and encoder gone', async () => (ffmpegChildren().length === 0 ? true : undefined), 10_000);
  });
});
