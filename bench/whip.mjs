#!/usr/bin/env node
// Browser publishing over WHIP (`hls-publish --input whip`), headless Chromium on loopback:
//  1. the publisher's CPU per minute with a browser camera (Chromium's fake camera playing the
//     face photo, H.264 over WHIP, blazeface boxes) against the same photo as a camera-like local
//     source (`--input sample1.jpg`), same size, rate and detector;
//  2. glass to glass, browser camera to viewer: a page paints the wall clock as black and white
//     blocks into a canvas, publishes the canvas over WHIP, and a viewer page in the same browser
//     (one clock) reads the blocks back off the playing video: LL-HLS (0.2 s parts, hls.js) and,
//     when the streamer offers it, WebRTC playback (`?view=webrtc`).
// Uses the built packages: run `pnpm -r build` first.
//   node bench/whip.mjs [--quick]
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  cpuDelta,
  cpuSeconds,
  freePort,
  launchChromium,
  load,
  median,
  percentile,
  processRole,
  quick,
  round,
  SAMPLE_FACES,
  saveResult,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  WEBRTC_LOOPBACK_ARGS,
  waitForSegments,
} from './lib.mjs';

const run = promisify(execFile);
const seconds = quick ? 15 : 60;
const warmupSeconds = quick ? 4 : 8;
const SIZE = '640x480';
const FPS = '25';

const dir = await mkdtemp(join(tmpdir(), 'bench-whip-'));

function chromium(y4m) {
  // WebRTC on loopback only, a fake camera playing the photo, no permission prompt.
  return launchChromium([
    ...WEBRTC_LOOPBACK_ARGS,
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    ...(y4m ? [`--use-file-for-fake-video-capture=${y4m}`] : []),
  ]);
}

/** Publishes over WHIP from the page: the camera, or with `clock` a canvas painting Date.now() as 2 x 16 blocks. */
function whipPublish(page, endpoint, clock) {
  return page.evaluate(
    async ({ url, clock: painted }) => {
      let track;
      if (painted) {
        const canvas = document.createElement('canvas');
        canvas.width = 640;
        canvas.height = 480;
        const ctx = canvas.getContext('2d');
        const paint = () => {
          const code = Date.now() % 65536;
          ctx.fillStyle = '#808080';
          ctx.fillRect(0, 0, 640, 480);
          for (let row = 0; row < 2; row++) {
            for (let bit = 0; bit < 16; bit++) {
              ctx.fillStyle = (code >> (15 - bit)) & 1 ? '#fff' : '#000';
              ctx.fillRect(bit * 40, 40 + row * 80, 40, 60);
            }
          }
        };
        setInterval(paint, 5);
        paint();
        track = canvas.captureStream(30).getVideoTracks()[0];
      } else {
        track = (await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } })).getVideoTracks()[0];
      }
      const pc = new RTCPeerConnection();
      pc.addTransceiver(track, { direction: 'sendonly' });
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise((resolve) => {
        if (pc.iceGatheringState === 'complete') resolve();
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      });
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
      const answer = await res.text();
      if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${answer}`);
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      window.whipPc = pc;
      return /a=rtpmap:\d+ (\w+)\/90000/.exec(answer)?.[1];
    },
    { url: endpoint, clock },
  );
}

/** Latency samples (ms) read off the playing video every 250 ms for `forSeconds`. */
function readClock(page, forSeconds) {
  return page.evaluate(async (ms) => {
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 480;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const samples = [];
    let unreadable = 0;
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      const video = [...document.querySelectorAll('video')].find((v) => v.readyState >= 2 && !v.paused && v.videoWidth > 0);
      if (!video) {
        unreadable++;
        continue;
      }
      ctx.drawImage(video, 0, 0, 640, 480);
      const now = Date.now();
      const rows = [0, 1].map((row) => {
        let code = 0;
        for (let bit = 0; bit < 16; bit++) {
          const [r, g, b] = ctx.getImageData(bit * 40 + 20, 40 + row * 80 + 30, 1, 1).data;
          code = (code << 1) | (r + g + b > 384 ? 1 : 0);
        }
        return code;
      });
      // Both rows must agree: a frame caught mid-change or blurred by the encoder is skipped.
      if (rows[0] !== rows[1]) {
        unreadable++;
        continue;
      }
      samples.push(((now % 65536) - rows[0] + 65536) % 65536);
    }
    return { samples, unreadable };
  }, forSeconds * 1000);
}

async function cpuRun(label, publisherArgs, browse) {
  const mediaDir = join(dir, `media-${label}`);
  const streamer = await startStreamer([], { mediaDir });
  const publisher = await startPublisher(streamer.url, ['--size', SIZE, '--fps', FPS, '--detector', 'blazeface', ...publisherArgs]);
  let browser;
  try {
    browser = await browse?.();
    await waitForSegments(streamer.url, 2);
    await sleep(warmupSeconds * 1000);
    const before = cpuSeconds(publisher.child.pid);
    const loadBefore = load();
    const started = Date.now();
    await sleep(seconds * 1000);
    const after = cpuSeconds(publisher.child.pid);
    const wall = (Date.now() - started) / 1000;
    const cpu = cpuDelta(before, after);
    const processes = Object.keys(after).map((p) => ({
      name: processRole(Number(p)),
      cpuSecondsPerMinute: round(((after[p] - (before[p] ?? 0)) / wall) * 60, 2),
    }));
    const result = {
      label,
      wallSeconds: round(wall, 1),
      cpuSecondsPerMinute: round((cpu / wall) * 60, 2),
      cpuPercent: round((cpu / wall) * 100, 1),
      processes,
      loadBefore,
      loadAfter: load(),
    };
    console.log(`[whip] ${label}: ${result.cpuSecondsPerMinute} CPU s/min`);
    return result;
  } finally {
    await browser?.close();
    await stop(publisher.child);
    await stop(streamer.child);
  }
}

async function latencyRun(view) {
  const mediaDir = join(dir, `media-latency-${view}`);
  // WebRTC playback (WHEP) is the streamer's `--webrtc`, on loopback here.
  const webrtc = view === 'webrtc' ? ['--webrtc', '--webrtc-port', String(await freePort()), '--webrtc-host', '127.0.0.1'] : [];
  const streamer = await startStreamer(webrtc, { mediaDir });
  const whipPort = await freePort();
  const publisher = await startPublisher(streamer.url, [
    '--input',
    'whip',
    '--whip-port',
    String(whipPort),
    '--size',
    SIZE,
    '--fps',
    '30',
    '--detector',
    'blazeface',
    '--part-seconds',
    '0.2',
  ]);
  const browser = await chromium();
  try {
    const publishing = await browser.newPage();
    await publishing.goto(`http://127.0.0.1:${whipPort}/`);
    const codec = await whipPublish(publishing, `http://127.0.0.1:${whipPort}/whip`, true);
    await waitForSegments(streamer.url, 2);
    const viewer = await browser.newPage();
    await viewer.goto(`${streamer.url}/${view === 'webrtc' ? '?view=webrtc' : ''}`);
    const playing = await viewer
      .waitForFunction(() => window.viewer?.state === 'playing', null, { timeout: 30_000 })
      .then(
        () => true,
        () => false,
      );
    if (!playing) return { view, codec, error: 'the viewer did not start playing in 30 s' };
    await sleep(5000);
    const { samples, unreadable } = await readClock(viewer, seconds);
    const engine = await viewer.evaluate(() => window.viewer?.engine ?? null);
    const result = {
      view,
      engine,
      codec,
      samples: samples.length,
      unreadable,
      medianMs: round(median(samples), 0),
      p95Ms: round(percentile(samples, 0.95), 0),
      minMs: samples.length ? Math.min(...samples) : null,
      maxMs: samples.length ? Math.max(...samples) : null,
    };
    console.log(`[whip] glass to glass, ${view}: median ${result.medianMs} ms, p95 ${result.p95Ms} ms (${samples.length} samples, ${unreadable} unreadable)`);
    return result;
  } finally {
    await browser.close();
    await stop(publisher.child);
    await stop(streamer.child);
  }
}

try {
  const y4m = join(dir, 'faces.y4m');
  await run('ffmpeg', ['-v', 'error', '-loop', '1', '-i', SAMPLE_FACES, '-vf', 'scale=640:480,format=yuv420p', '-r', '30', '-t', '3', y4m]);
  const camera = await cpuRun('photo as a local source (--input sample1.jpg)', ['--input', SAMPLE_FACES]);
  const whipPort = await freePort();
  let codec;
  const browser = await cpuRun('browser camera over WHIP (--input whip)', ['--input', 'whip', '--whip-port', String(whipPort)], async () => {
    const b = await chromium(y4m);
    const page = await b.newPage();
    await page.goto(`http://127.0.0.1:${whipPort}/`);
    codec = await whipPublish(page, `http://127.0.0.1:${whipPort}/whip`, false);
    return b;
  });
  const latency = [];
  for (const view of ['ll-hls', 'webrtc']) {
    latency.push(await latencyRun(view).catch((error) => ({ view, error: error.message })));
  }
  await saveResult('whip', {
    command: `node bench/whip.mjs${quick ? ' --quick' : ''}`,
    seconds,
    size: SIZE,
    fps: Number(FPS),
    codec,
    cpu: { camera, browser, ratio: round(browser.cpuSecondsPerMinute / camera.cpuSecondsPerMinute, 2) },
    latency,
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}
