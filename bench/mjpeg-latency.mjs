#!/usr/bin/env node
// MJPEG latency on loopback: a real ffmpeg capture (testsrc2, 640x480, 30 fps) -> the publisher's
// MJPEG tap (10 fps JPEGs through its ffmpeg) -> WebSocket -> streamer -> GET /mjpeg. Latency is
// the client's receive time minus the part's X-Capture-Time (one machine, one clock).
// Uses the built packages: run `pnpm -r build` first.
//   node bench/mjpeg-latency.mjs [--frames 200] [--fps 10] [--size 640x480] [--quality 5]
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createStreamer } = await import(join(root, 'packages/streamer/dist/index.js'));
const { createMjpegTap } = await import(join(root, 'packages/publisher/dist/mjpeg/index.js'));
const { pino } = await import(join(root, 'packages/streamer/node_modules/pino/pino.js'));

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '200' },
    fps: { type: 'string', default: '10' },
    size: { type: 'string', default: '640x480' },
    quality: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5' },
  },
});
const frames = Number(values.frames);
const fps = Number(values.fps);
const [width, height] = values.size.split('x').map(Number);
const warmup = Number(values.warmup);
const captureFps = 30;

const dir = await mkdtemp(join(tmpdir(), 'mjpeg-bench-'));
const streamer = createStreamer({ mediaDir: join(dir, 'media'), logger: pino({ level: 'silent' }) });
const { url } = await streamer.listen(0, '127.0.0.1');
const tap = createMjpegTap({ streamer: url, fps, quality: Number(values.quality) });
await tap.start({ width, height, fps: captureFps });

// The capture side as the publisher runs it: raw frames, stamped when their last byte arrives.
const capture = spawn(
  'ffmpeg',
  [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${width}x${height}:rate=${captureFps}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    'pipe:1',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const frameBytes = (width * height * 3) / 2;
const ring = Buffer.alloc(frameBytes);
let filled = 0;
let index = 0;
capture.stdout.on('data', (chunk) => {
  for (let offset = 0; offset < chunk.length; ) {
    const n = Math.min(frameBytes - filled, chunk.length - offset);
    chunk.copy(ring, filled, offset, offset + n);
    filled += n;
    offset += n;
    if (filled === frameBytes) {
      tap.process({ data: ring, width, height, index: index++, captureTime: Date.now() });
      filled = 0;
    }
  }
});

const latencies = [];
const sizes = [];
await new Promise((resolve, reject) => {
  const req = request(`${url}/mjpeg`, (res) => {
    const marker = Buffer.from('--mjpegframe\r\n');
    let pending = Buffer.alloc(0);
    let seen = 0;
    res.on('data', (chunk) => {
      const receivedAt = Date.now();
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const start = pending.indexOf(marker);
        const headEnd = start < 0 ? -1 : pending.indexOf('\r\n\r\n', start);
        if (headEnd < 0) return;
        const head = pending.subarray(start + marker.length, headEnd).toString('latin1');
        const length = Number(/Content-Length: (\d+)/i.exec(head)?.[1]);
        const captured = Number(/X-Capture-Time: (\d+)/i.exec(head)?.[1]);
        if (pending.length < headEnd + 4 + length) return;
        pending = pending.subarray(headEnd + 4 + length);
        // The first part is whatever frame was there before; then the warm-up (encoder start).
        if (seen++ < 1 + warmup) continue;
        latencies.push(receivedAt - captured);
        sizes.push(length);
        if (latencies.length >= frames) {
          req.destroy();
          resolve();
          return;
        }
      }
    });
  });
  req.on('error', (error) => (latencies.length >= frames ? resolve() : reject(error)));
  req.end();
  setTimeout(() => reject(new Error(`only ${latencies.length} frames in time`)), (frames / fps) * 3000 + 20_000).unref();
});

const tapStats = tap.stats();
capture.kill('SIGKILL');
await tap.stop();
await streamer.close();
await rm(dir, { recursive: true, force: true });

const sorted = [...latencies].sort((a, b) => a - b);
const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const result = {
  what: 'MJPEG latency on loopback: client receive time - X-Capture-Time (capture end of the raw frame)',
  command: `node bench/mjpeg-latency.mjs --frames ${frames} --fps ${fps} --size ${width}x${height} --quality ${values.quality}`,
  date: new Date().toISOString(),
  node: process.version,
  frames: latencies.length,
  captureFps,
  mjpegFps: fps,
  size: `${width}x${height}`,
  quality: Number(values.quality),
  meanJpegBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
  latencyMs: {
    median: pick(0.5),
    p95: pick(0.95),
    min: sorted[0],
    max: sorted.at(-1),
    mean: Math.round((latencies.reduce((a, b) => a + b, 0) / latencies.length) * 10) / 10,
  },
  tap: { encoded: tapStats.encoded, sent: tapStats.sent, skippedBusy: tapStats.skippedBusy, dropped: tapStats.dropped },
};
await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(join(root, 'bench/results/mjpeg-latency.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result, null, 2));
