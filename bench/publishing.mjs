#!/usr/bin/env node
// Publishing cost: CPU seconds per minute of live video (utime + stime from /proc of the process
// and its children: the publisher's node process with its detector worker thread and both
// ffmpeg children) against one plain ffmpeg doing the same capture -> x264 -> segments with the
// publisher's own encoder arguments. Also output fps, dropped frames and detection rate, read
// from the publisher's --metrics-port, and ms per detection per detector (test/detect/bench-detect.ts).
// Uses the built packages: run `pnpm -r build` first.
//   node bench/publishing.mjs [--quick]
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  cpuDelta,
  cpuSeconds,
  get,
  processRole,
  load,
  parseMetrics,
  quick,
  root,
  round,
  SAMPLE_FACES,
  saveResult,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  waitForSegments,
} from './lib.mjs';

const { encoderArgs, inputArgs } = await import(join(root, 'packages/publisher/dist/ffmpeg/args.js'));

const seconds = quick ? 15 : 60;
const warmupSeconds = quick ? 4 : 8;
const detectRuns = quick ? 10 : 50;
const FORMAT = { width: 640, height: 480, fps: 30, bitrate: 1_500_000, segmentSeconds: 2 };

const dir = await mkdtemp(join(tmpdir(), 'bench-publishing-'));

/** CPU of a process tree over the measured window; `during` runs while it is measured. */
async function measureTree(pid, during) {
  await sleep(warmupSeconds * 1000);
  const before = cpuSeconds(pid);
  const started = Date.now();
  const loadBefore = load();
  const extra = await during();
  const after = cpuSeconds(pid);
  const wall = (Date.now() - started) / 1000;
  const cpu = cpuDelta(before, after);
  const processes = Object.keys(after).map((p) => ({
    pid: Number(p),
    name: processRole(Number(p)),
    cpuSecondsPerMinute: round(((after[p] - (before[p] ?? 0)) / wall) * 60, 2),
  }));
  return {
    wallSeconds: round(wall, 1),
    cpuSeconds: round(cpu, 2),
    cpuSecondsPerMinute: round((cpu / wall) * 60, 2),
    cpuPercent: round((cpu / wall) * 100, 1),
    processes,
    loadBefore,
    loadAfter: load(),
    ...extra,
  };
}

async function plainFfmpeg() {
  const encoder = encoderArgs({ ...FORMAT, segmentPattern: join(dir, 'plain-%05d.ts') });
  // The same encoder and segmenter, fed by the same test source directly instead of through a pipe.
  const args = [
    ...encoder.slice(0, encoder.indexOf('-f')),
    ...inputArgs({ kind: 'test' }, process.platform, FORMAT),
    ...encoder.slice(encoder.indexOf('pipe:0') + 1),
  ];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let segments = 0;
  createInterface({ input: child.stdout }).on('line', () => segments++);
  try {
    return {
      command: `ffmpeg ${args.join(' ')}`,
      ...(await measureTree(child.pid, async () => {
        const first = segments;
        await sleep(seconds * 1000);
        return { segmentsInWindow: segments - first };
      })),
    };
  } finally {
    await stop(child);
  }
}

async function publisherRun(label, streamerUrl, args) {
  const publisher = await startPublisher(streamerUrl, [...args, '--metrics-port', '0']);
  const { metricsUrl } = publisher;
  const scrape = async () => parseMetrics((await get(metricsUrl)).body.toString());
  try {
    return {
      label,
      command: `hls-publish --streamer URL --mjpeg off ${args.join(' ')}`,
      ...(await measureTree(publisher.child.pid, async () => {
        const a = await scrape();
        const t0 = Date.now();
        await sleep(seconds * 1000);
        const b = await scrape();
        const wall = (Date.now() - t0) / 1000;
        const delta = (key) => (b[key] ?? 0) - (a[key] ?? 0);
        return {
          // Every captured frame is written to the encoder (the stage never holds one back), so
          // this is also the rate of frames reaching the encoder.
          outputFps: round(delta('hls_publisher_capture_frames_total') / wall, 1),
          // Frames in finished segments: whole segments only, so it steps by a segment's frames.
          segmentFramesPerSecond: round(delta('hls_publisher_output_frames_total') / wall, 1),
          // Frames behind the wall clock that accumulated during the window.
          droppedFrames: Math.max(0, delta('hls_publisher_dropped_frames')),
          droppedFramesSinceStart: b.hls_publisher_dropped_frames,
          droppedSegments: b.hls_publisher_segments_dropped_total,
          detectionsPerSecond: b.hls_publisher_detections_total === undefined ? null : round(delta('hls_publisher_detections_total') / wall, 1),
          detectionMs: b.hls_publisher_detection_ms ?? null,
          detectionSkippedBusy: b.hls_publisher_detection_skipped_frames_total ?? null,
          uploadSecondsMean: round(delta('hls_publisher_upload_seconds_sum') / Math.max(1, delta('hls_publisher_upload_seconds_count')), 4),
        };
      })),
    };
  } finally {
    await stop(publisher.child);
  }
}

function detectorBench() {
  const args = ['--import', './test/fixtures/ts-register.mjs', 'test/detect/bench-detect.ts', String(detectRuns), 'blazeface,tiny,ssd'];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: join(root, 'packages/publisher'), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.once('exit', (code) => {
      const detectors = {};
      for (const m of out.matchAll(/^(\w+): input (\d+x\d+), detect median ([\d.]+) ms, p90 ([\d.]+) ms, downscale median ([\d.]+) ms/gm)) {
        detectors[m[1]] = { input: m[2], medianMs: Number(m[3]), p90Ms: Number(m[4]), downscaleMs: Number(m[5]) };
      }
      for (const m of out.matchAll(/^(\w+): recall (\d+)\/(\d+)/gm)) Object.assign(detectors[m[1]] ?? {}, { recall: `${m[2]}/${m[3]}` });
      resolve({ command: `cd packages/publisher && node ${args.join(' ')}`, exitCode: code, detectors, output: out.trim().split('\n') });
    });
  });
}

let streamer;
try {
  const runs = {};
  console.log(`[publishing] ffmpeg alone, ${seconds} s`);
  runs.ffmpeg = await plainFfmpeg();
  streamer = await startStreamer([], { mediaDir: join(dir, 'media') });
  for (const [label, args] of [
    ['publisher', ['--input', 'test', '--detector', 'off']],
    ['publisherDetect', ['--input', 'test', '--detector', 'blazeface']],
    ['publisherDetectFaces', ['--input', SAMPLE_FACES, '--detector', 'blazeface']],
  ]) {
    console.log(`[publishing] ${label}, ${seconds} s`);
    runs[label] = await publisherRun(label, streamer.url, args);
    console.log(
      `[publishing] ${label}: ${runs[label].cpuSecondsPerMinute} CPU s/min, out ${runs[label].outputFps} fps, detections ${runs[label].detectionsPerSecond}/s, load ${runs[label].loadAfter[0]}`,
    );
  }
  await waitForSegments(streamer.url, 1);
  console.log(`[publishing] ms per detection (${detectRuns} runs each)`);
  const detect = await detectorBench();
  const ratio = (run) => round(run.cpuSecondsPerMinute / runs.ffmpeg.cpuSecondsPerMinute, 2);
  const summary = {
    ffmpegCpuSecondsPerMinute: runs.ffmpeg.cpuSecondsPerMinute,
    publisherCpuSecondsPerMinute: runs.publisher.cpuSecondsPerMinute,
    publisherDetectCpuSecondsPerMinute: runs.publisherDetect.cpuSecondsPerMinute,
    publisherDetectFacesCpuSecondsPerMinute: runs.publisherDetectFaces.cpuSecondsPerMinute,
    ratioNoDetection: ratio(runs.publisher),
    ratioDetection: ratio(runs.publisherDetect),
    ratioDetectionFaces: ratio(runs.publisherDetectFaces),
    outputFps: {
      publisher: runs.publisher.outputFps,
      publisherDetect: runs.publisherDetect.outputFps,
      publisherDetectFaces: runs.publisherDetectFaces.outputFps,
    },
    droppedFrames: {
      publisher: runs.publisher.droppedFrames,
      publisherDetect: runs.publisherDetect.droppedFrames,
      publisherDetectFaces: runs.publisherDetectFaces.droppedFrames,
    },
    detectionsPerSecondFaces: runs.publisherDetectFaces.detectionsPerSecond,
    msPerDetection: Object.fromEntries(Object.entries(detect.detectors).map(([name, d]) => [name, d.medianMs])),
  };
  console.log(summary);
  await saveResult('publishing', {
    what: 'CPU seconds per minute of live video (process tree, /proc utime+stime) of the publisher vs one plain ffmpeg with the same encoder arguments; 640x480 30 fps testsrc2, -re',
    command: `node bench/publishing.mjs${quick ? ' --quick' : ''}`,
    settings: { seconds, warmupSeconds, ...FORMAT, detectRuns },
    targets: { ratioNoDetection: 1.3, outputFps: 30, droppedFrames: 0, detectionsPerSecond: 10 },
    load: { end: load() },
    summary,
    runs,
    detect,
  });
} finally {
  await stop(streamer?.child);
  await rm(dir, { recursive: true, force: true });
}
