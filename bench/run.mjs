#!/usr/bin/env node
// `pnpm bench [names...] [--quick] [--no-build]`: builds the workspace, runs each benchmark as
// its own process (one at a time, so they do not measure each other), notes the load average
// around each, then writes docs/PERFORMANCE.md from every result in bench/results/.
//   names: serving publishing latency memory mjpeg ll fuzz edge streams webrtc whip (default: all)
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load, resultsDir, root } from './lib.mjs';
import { writeReport } from './report.mjs';

const BENCHMARKS = {
  serving: { script: 'serving.mjs', result: 'serving' },
  publishing: { script: 'publishing.mjs', result: 'publishing' },
  latency: { script: 'latency.mjs', result: 'latency' },
  memory: { script: 'memory.mjs', result: 'memory' },
  mjpeg: { script: 'mjpeg-latency.mjs', result: 'mjpeg-latency', quickArgs: ['--frames', '50'] },
  // Low-Latency HLS: parts of 0.2, 0.33 and 0.5 s and classic, glass to glass in Chromium.
  ll: { script: 'll-latency.mjs', result: 'll-latency', quickArgs: ['--seconds', '20'] },
  // 10 000 seeded hostile publish requests (the CI test sends 2 500 of the same cases).
  fuzz: { script: 'publish-fuzz.mjs', result: 'publish-fuzz', quickArgs: ['--count', '2500'] },
  // nginx edges (deploy/nginx) against direct: wrk, viewers held, origin request rates, latency added.
  edge: { script: 'edge.mjs', result: 'edge' },
  // Named streams: 10 streams x 20 viewers (memory per stream), and capture on demand's first segment.
  streams: { script: 'streams.mjs', result: 'streams' },
  // WebRTC (WHEP) glass to glass beside MJPEG, LL-HLS and HLS (frames carry their capture time); CPU per viewer, most viewers held.
  webrtc: { script: 'webrtc.mjs', result: 'webrtc', quickArgs: ['--seconds', '10'] },
  // Browser publishing over WHIP: publisher CPU against a local source, glass to glass browser -> viewer.
  whip: { script: 'whip.mjs', result: 'whip' },
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const build = !args.includes('--no-build');
const reportOnly = args.includes('--report');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(n in BENCHMARKS));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.map((n) => `\`${n}\``).join(', ')}; expected any of ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
const selected = names.length ? names : Object.keys(BENCHMARKS);

function run(command, commandArgs) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

let failed = 0;
if (!reportOnly) {
  if (build) {
    console.log('bench: pnpm -r build');
    if ((await run('pnpm', ['-r', 'build'])) !== 0) process.exit(1);
  }
  for (const name of selected) {
    const bench = BENCHMARKS[name];
    const benchArgs = quick ? (bench.quickArgs ?? ['--quick']) : [];
    console.log(`\nbench: ${name} (node bench/${bench.script} ${benchArgs.join(' ')})`);
    const before = load();
    const started = Date.now();
    const code = await run(process.execPath, [join('bench', bench.script), ...benchArgs]);
    const runInfo = { exitCode: code, quick, seconds: Math.round((Date.now() - started) / 1000), loadBefore: before, loadAfter: load() };
    if (code !== 0) {
      failed++;
      console.error(`bench: ${name} failed with exit code ${code}`);
      continue;
    }
    // Every result records the load around it: the numbers mean little on a busy machine.
    const file = join(resultsDir, `${bench.result}.json`);
    const result = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, `${JSON.stringify({ ...result, run: runInfo }, null, 2)}\n`);
  }
}
const report = await writeReport();
console.log(`\nbench: wrote ${report}`);
process.exit(failed ? 1 : 0);
