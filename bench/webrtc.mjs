#!/usr/bin/env node
// WebRTC playback (WHEP) glass to glass in headless Chromium, beside MJPEG, LL-HLS and classic
// HLS measured the same way, and the streamer's CPU per WebRTC viewer and the most viewers held.
//
// Glass to glass trusts nothing the server says: this process is the camera. It writes 640x480
// frames at 30 fps into a FIFO that the publisher reads as its input (`--input clock.y4m`); each
// frame carries the wall clock (ms) when it was written, as 40 black/white blocks across its top.
// The viewer page plays the stream in its engine (`?view=webrtc`, `mjpeg`, `hls`, `hls` with
// parts); on every frame it shows (requestVideoFrameCallback for <video>,
// animation frames for the MJPEG <img>) the page draws it on a canvas, reads the blocks back and
// takes the wall clock minus the time they carry. One machine, one clock.
//
// Load: receive-only node-datachannel peers (loopback) against the same streamer; the streamer's
// CPU over 10 s with none and with N, and crowds of growing size until one starves.
//   node bench/webrtc.mjs [--seconds 20] [--only webrtc,mjpeg] [--quick]
import { closeSync, constants, createWriteStream, openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  cpuDelta,
  cpuSeconds,
  launchChromium,
  load,
  median,
  percentile,
  root,
  round,
  rssMiB,
  saveResult,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  WEBRTC_LOOPBACK_ARGS,
  waitForSegments,
} from './lib.mjs';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean' } } });
const quick = values.quick ?? false;
const seconds = Number(values.seconds ?? (quick ? 10 : 20));
const WIDTH = 640;
const HEIGHT = 480;
const FPS = 30;
const BITS = 40;
const BLOCK = WIDTH / BITS;
const BAND = 32;
const CONFIGS = [
  { name: 'webrtc', label: 'WebRTC (WHEP)', query: '?view=webrtc', publisher: ['--mjpeg', 'off'] },
  { name: 'mjpeg', label: 'MJPEG', query: '?view=mjpeg', publisher: ['--mjpeg', 'on', '--mjpeg-fps', '30'] },
  // The page's defaults: with parts hls.js aims at PART-HOLD-BACK (`?latency=low` would make it aim a whole segment back).
  { name: 'll-hls', label: 'LL-HLS (parts of 0.2 s)', query: '?view=hls', publisher: ['--mjpeg', 'off', '--part-seconds', '0.2'] },
  { name: 'hls', label: 'classic HLS (2 s segments)', query: '?view=hls', publisher: ['--mjpeg', 'off'] },
].filter((c) => !values.only || values.only.split(',').includes(c.name));

const { default: nodeDataChannel } = await import(join(root, 'packages/e2e/node_modules/node-datachannel/dist/esm/lib/index.mjs'));

// ---- the camera --------------------------------------------------------------------------

/**
 * A y4m stream into `path` (a FIFO), one frame every 1/FPS s with the wall clock drawn in. A reader
 * that goes away (a probe, a capture restart) gets a fresh stream, header first, on its next open.
 */
function startClockCamera(path) {
  const ySize = WIDTH * HEIGHT;
  const frame = Buffer.alloc(6 + ySize + ySize / 2, 128);
  frame.write('FRAME\n', 0, 'latin1');
  let out;
  let stopped = false;
  const open = () => {
    if (stopped) return;
    const stream = createWriteStream(path);
    out = stream;
    stream.write(`YUV4MPEG2 W${WIDTH} H${HEIGHT} F${FPS}:1 Ip A1:1 C420jpeg\n`);
    stream.once('error', () => {
      if (out === stream) out = undefined;
      setTimeout(open, 50);
    });
  };
  open();
  let next = Date.now();
  const tick = () => {
    if (stopped) return;
    const now = Date.now();
    const value = now % 2 ** BITS;
    // Luma of the band: bit i (most significant first) is block i, white for 1.
    for (let i = 0; i < BITS; i++) {
      const bit = Math.floor(value / 2 ** (BITS - 1 - i)) % 2;
      const y = bit ? 235 : 16;
      for (let row = 0; row < BAND; row++) frame.fill(y, 6 + row * WIDTH + i * BLOCK, 6 + row * WIDTH + (i + 1) * BLOCK);
    }
    // Below the band a slowly moving gradient, so the encoder has a picture to work on.
    const shift = Math.floor(now / 40) % 256;
    for (let row = BAND; row < HEIGHT; row += 4) frame.fill(((row + shift) % 220) + 16, 6 + row * WIDTH, 6 + (row + 4) * WIDTH);
    // A frame the reader is not ready for is skipped, not queued: queued frames would be late.
    if (out && out.writableLength === 0) out.write(frame);
    next += 1000 / FPS;
    setTimeout(tick, Math.max(0, next - Date.now()));
  };
  tick();
  return {
    stop() {
      stopped = true;
      out?.destroy();
      // A reopen after the reader left waits in libuv's thread pool for a reader that will not
      // come; four such waits (one per view measured) would take the whole pool and hang this
      // process. Opening the read end, without blocking, lets it finish.
      try {
        closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      } catch {}
    },
  };
}

// ---- the viewer --------------------------------------------------------------------------

/** Installed in the page: samples latency on every frame shown, from the blocks in the picture. */
function installReader({ bits, block, band, width }) {
  const samples = [];
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = band;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const decode = (source) => {
    const now = Date.now();
    ctx.drawImage(source, 0, 0, width, band, 0, 0, width, band);
    const data = ctx.getImageData(0, 0, width, band).data;
    let value = 0;
    for (let i = 0; i < bits; i++) {
      const x = Math.floor(i * block + block / 2);
      const luma = data[(Math.floor(band / 2) * width + x) * 4];
      value = value * 2 + (luma > 128 ? 1 : 0);
    }
    const wrap = 2 ** bits;
    const captured = now - (((((now % wrap) - value) % wrap) + wrap) % wrap);
    samples.push(now - captured);
  };
  const poll = () => {
    const video = document.querySelector('video:not([hidden])');
    const img = document.querySelector('img#mjpeg:not([hidden])');
    if (video && video.videoWidth === width) {
      const onFrame = () => {
        decode(video);
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    } else if (img && img.naturalWidth === width) {
      let last = '';
      const onAnimation = () => {
        // An <img> tells no frame event: decode each animation frame, count each picture once.
        ctx.drawImage(img, 0, 0, width, band, 0, 0, width, band);
        const key = Array.from(ctx.getImageData(0, band / 2, width, 1).data.filter((_, i) => i % (block * 4) === Math.floor(block / 2) * 4)).join(',');
        if (key !== last) {
          last = key;
          decode(img);
        }
        requestAnimationFrame(onAnimation);
      };
      requestAnimationFrame(onAnimation);
    } else {
      setTimeout(poll, 100);
    }
  };
  poll();
  window.__g2g = samples;
}

async function glassToGlass(browser, config) {
  const dir = await mkdtemp(join(tmpdir(), 'bench-webrtc-'));
  const fifo = join(dir, 'clock.y4m');
  execFileSync('mkfifo', [fifo]);
  const camera = startClockCamera(fifo);
  let streamer;
  let publisher;
  try {
    streamer = await startStreamer(['--webrtc', '--webrtc-host', '127.0.0.1', '--webrtc-port', String(await freeUdpPort())], { mediaDir: join(dir, 'media') });
    publisher = await startPublisher(streamer.url, [
      '--input',
      fifo,
      '--size',
      `${WIDTH}x${HEIGHT}`,
      '--fps',
      String(FPS),
      '--detector',
      'off',
      '--segment-seconds',
      '2',
      ...config.publisher,
    ]);
    // HLS players place themselves by the playlist they first load: give them a steady window, as the other latency benchmarks do.
    if (config.name === 'hls' || config.name === 'll-hls') await waitForSegments(streamer.url, 3);
    const page = await browser.newPage();
    const loadBefore = load();
    await page.goto(`${streamer.url}/${config.query}`);
    await page.evaluate(installReader, { bits: BITS, block: BLOCK, band: BAND, width: WIDTH });
    await page
      .waitForFunction(() => window.__g2g.length > 10, null, { timeout: 60_000 })
      .catch(async (error) => {
        const seen = await page.evaluate(() => ({
          viewer: window.viewer,
          videos: [...document.querySelectorAll('video')].map((v) => ({ w: v.videoWidth, hidden: v.hidden, t: v.currentTime })),
        }));
        throw new Error(`${error.message}: ${JSON.stringify(seen).slice(0, 600)}`);
      });
    // Settle into the live position, then sample.
    await sleep(config.name === 'hls' || config.name === 'll-hls' ? 8000 : 3000);
    await page.evaluate(() => window.__g2g.splice(0));
    // Beside the pixels, the latency the page itself shows (for HLS, from hls.js's playingDate, the
    // stream's program date-time): the two should agree.
    const shown = [];
    for (const until = Date.now() + seconds * 1000; Date.now() < until; await sleep(250)) {
      const latency = await page.evaluate(() => window.viewer?.latency ?? null);
      if (typeof latency === 'number') shown.push(latency * 1000);
    }
    const samples = (await page.evaluate(() => window.__g2g.splice(0))).filter((ms) => ms >= 0 && ms < 60_000);
    await page.close();
    return {
      name: config.name,
      label: config.label,
      seconds,
      samples: samples.length,
      medianMs: round(median(samples), 0),
      p95Ms: round(percentile(samples, 0.95), 0),
      minMs: round(Math.min(...samples), 0),
      maxMs: round(Math.max(...samples), 0),
      pageMedianMs: shown.length ? round(median(shown), 0) : null,
      loadBefore,
      loadAfter: load(),
    };
  } finally {
    await stop(publisher?.child);
    await stop(streamer?.child);
    camera.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- load --------------------------------------------------------------------------------

async function freeUdpPort() {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

async function peer(url) {
  const pc = new nodeDataChannel.PeerConnection('bench', { iceServers: [], bindAddress: '127.0.0.1' });
  const video = new nodeDataChannel.Video('0', 'RecvOnly');
  video.addH264Codec(102, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
  const track = pc.addTrack(video);
  track.setMediaHandler(new nodeDataChannel.RtcpReceivingSession());
  const viewer = { frames: 0, gapMs: 0, last: 0 };
  track.onMessage((packet) => {
    if (packet.length < 12 || (packet[1] & 0x7f) !== 102 || (packet[1] & 0x80) === 0) return;
    const now = Date.now();
    if (viewer.last) viewer.gapMs = Math.max(viewer.gapMs, now - viewer.last);
    viewer.last = now;
    viewer.frames++;
  });
  pc.setLocalDescription();
  await new Promise((resolve) => {
    if (pc.gatheringState() === 'complete') return resolve();
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
  });
  const res = await fetch(`${url}/whep`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription().sdp });
  if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${await res.text()}`);
  const location = new URL(res.headers.get('Location'), url).href;
  pc.setRemoteDescription(await res.text(), 'answer');
  viewer.leave = async () => {
    track.close();
    pc.close();
    await fetch(location, { method: 'DELETE' }).catch(() => {});
  };
  return viewer;
}

async function viewersLoad() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-webrtc-load-'));
  let streamer;
  let publisher;
  try {
    streamer = await startStreamer(['--webrtc', '--webrtc-host', '127.0.0.1', '--webrtc-port', String(await freeUdpPort()), '--max-webrtc-viewers', '1000'], {
      mediaDir: join(dir, 'media'),
    });
    publisher = await startPublisher(streamer.url, ['--input', 'test', '--size', `${WIDTH}x${HEIGHT}`, '--fps', String(FPS), '--detector', 'off']);
    await sleep(3000);
    const pid = streamer.child.pid;
    const window = quick ? 5 : 10;
    const cpuOver = async () => {
      const before = cpuSeconds(pid);
      await sleep(window * 1000);
      return cpuDelta(before, cpuSeconds(pid)) / window;
    };
    const idle = await cpuOver();
    const crowds = [];
    let held = 0;
    for (const size of quick ? [10, 25] : [10, 25, 50, 100]) {
      const peers = [];
      try {
        for (let i = 0; i < size; i++) peers.push(await peer(streamer.url));
      } catch (error) {
        crowds.push({ size, error: String(error) });
        break;
      }
      await sleep(2000);
      const start = peers.map((p) => p.frames);
      for (const p of peers) p.gapMs = 0;
      const cpu = await cpuOver();
      const got = peers.map((p, i) => p.frames - start[i]);
      const ok = Math.min(...got) >= 0.95 * FPS * window && Math.max(...peers.map((p) => p.gapMs)) < 1000;
      crowds.push({
        size,
        cpuCores: round(cpu, 3),
        cpuPerViewer: round((cpu - idle) / size, 4),
        minFrames: Math.min(...got),
        expectedFrames: FPS * window,
        maxGapMs: Math.max(...peers.map((p) => p.gapMs)),
        rssMiB: round(rssMiB(pid), 1),
        ok,
      });
      await Promise.all(peers.map((p) => p.leave()));
      await sleep(2000);
      if (!ok) break;
      held = size;
    }
    return { idleCpuCores: round(idle, 3), crowds, held, windowSeconds: window };
  } finally {
    await stop(publisher?.child);
    await stop(streamer?.child);
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- run ---------------------------------------------------------------------------------

const browser = await launchChromium(WEBRTC_LOOPBACK_ARGS);
const views = [];
try {
  for (const config of CONFIGS) {
    console.log(`[webrtc] glass to glass: ${config.label}`);
    try {
      views.push(await glassToGlass(browser, config));
      console.log(`[webrtc] ${config.label}: median ${views.at(-1).medianMs} ms, p95 ${views.at(-1).p95Ms} ms (${views.at(-1).samples} frames)`);
    } catch (error) {
      console.error(`[webrtc] ${config.label} failed: ${error}`);
      views.push({ name: config.name, label: config.label, error: String(error).slice(0, 300) });
    }
  }
} finally {
  await browser.close();
}
console.log('[webrtc] viewers: CPU per viewer and most held');
const viewers = values.only && !values.only.split(',').includes('load') ? undefined : await viewersLoad();
// With --only, the views and load not measured this time are kept from the last full run.
const previous = values.only ? await readFile(join(root, 'bench/results/webrtc.json'), 'utf8').then(JSON.parse, () => undefined) : undefined;
const order = ['webrtc', 'mjpeg', 'll-hls', 'hls'];
const merged = [...(previous?.views ?? []).filter((v) => !views.some((w) => w.name === v.name)), ...views].sort(
  (a, b) => order.indexOf(a.name) - order.indexOf(b.name),
);
await saveResult('webrtc', {
  command: values.only
    ? 'node bench/webrtc.mjs (views measured in separate --only runs; each has its own date and seconds)'
    : `node bench/webrtc.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  seconds,
  size: `${WIDTH}x${HEIGHT}`,
  fps: FPS,
  views: merged,
  viewers: viewers ?? previous?.viewers,
});
// node-datachannel's threads would keep the process alive (its cleanup() crashes at exit here).

process.exit(0);
