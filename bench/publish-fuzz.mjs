#!/usr/bin/env node
// Fuzz: 10 000 seeded hostile publish requests (2 500 with --quick) against the built streamer,
// the cases of bench/publish-fuzz-cases.mjs (the same the CI test sends, fewer of them). Records
// the answers per status, the requests that were not a 4xx JSON error, whether the playlist and
// the media folder are unchanged and the server still healthy, and the time taken. Exits 1 when
// any of those fails. Uses the built packages: run `pnpm -r build` first.
//   node bench/publish-fuzz.mjs [--count 10000] [--seed 20240501] [--concurrency 8]
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { get, load, quick, round, rssMiB, saveResult, startStreamer, stop } from './lib.mjs';
import { FUZZ_DEFAULT_SEED, FUZZ_SERVER, runFuzz } from './publish-fuzz-cases.mjs';

const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, count: { type: 'string' }, seed: { type: 'string' }, concurrency: { type: 'string', default: '8' } },
});
const count = Number(values.count ?? (quick ? 2500 : 10_000));
const seed = Number(values.seed ?? FUZZ_DEFAULT_SEED);
const concurrency = Number(values.concurrency);

function post(url, path, headers, body) {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: 'POST', headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const listFiles = async (dir) => (await readdir(dir, { recursive: true }).catch(() => [])).map(String).sort();

const tmp = await mkdtemp(join(tmpdir(), 'bench-fuzz-'));
let streamer;
try {
  // One valid 0.2 s segment, as the test makes it: the generator breaks copies of it.
  await promisify(execFile)('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=25',
    '-t',
    '0.2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '5',
    '-f',
    'mpegts',
    join(tmp, 'segment.ts'),
  ]);
  const segment = await readFile(join(tmp, 'segment.ts'));
  const mediaDir = join(tmp, 'media');
  const flags = [
    '--publish-token',
    FUZZ_SERVER.publishToken,
    '--max-segment-bytes',
    String(FUZZ_SERVER.maxSegmentBytes),
    '--max-uploads',
    String(FUZZ_SERVER.maxUploads),
  ];
  streamer = await startStreamer(flags, { mediaDir });
  const auth = { Authorization: `Bearer ${FUZZ_SERVER.publishToken}`, 'Content-Type': 'video/mp2t', 'X-Publisher-Session': 'fuzz' };
  for (const name of ['seed-0.ts', 'seed-1.ts']) {
    const status = await post(streamer.url, `/publish/${name}/0.2`, auth, segment);
    if (status !== 201) throw new Error(`the valid seed segment ${name} got ${status}`);
  }
  const playlistBefore = (await get(`${streamer.url}/stream.m3u8`)).body.toString();
  const filesBefore = await listFiles(tmp);
  const rssBefore = rssMiB(streamer.child.pid);
  const loadBefore = load();
  console.log(`[publish-fuzz] ${count} hostile requests, seed ${seed}, ${concurrency} at a time, against ${streamer.url}`);

  const run = await runFuzz({ port: Number(new URL(streamer.url).port), seed, count, segment, concurrency });

  const playlistUnchanged = (await get(`${streamer.url}/stream.m3u8`)).body.toString() === playlistBefore;
  const filesAfter = await listFiles(tmp);
  const filesUnchanged = JSON.stringify(filesAfter) === JSON.stringify(filesBefore);
  const health = await get(`${streamer.url}/healthz`);
  const result = {
    command: `node bench/publish-fuzz.mjs --count ${count} --seed ${seed} --concurrency ${concurrency}`,
    settings: { count, seed, concurrency, ...FUZZ_SERVER },
    requests: run.requests,
    statuses: run.statuses,
    failures: run.failures.length,
    failureSamples: run.failures.slice(0, 10),
    playlistUnchanged,
    filesUnchanged,
    newFiles: filesAfter.filter((f) => !filesBefore.includes(f)).slice(0, 10),
    healthy: health.status === 200,
    seconds: round(run.seconds, 1),
    requestsPerSecond: round(run.requests / run.seconds, 0),
    streamerRssMiB: { before: round(rssBefore, 1), after: round(rssMiB(streamer.child.pid), 1) },
    load: { start: loadBefore, end: load() },
  };
  await saveResult('publish-fuzz', result);
  console.log(
    `[publish-fuzz] statuses ${JSON.stringify(run.statuses)}, ${run.failures.length} not a 4xx JSON error, playlist unchanged: ${playlistUnchanged}, files unchanged: ${filesUnchanged}, ${result.seconds} s`,
  );
  process.exitCode = run.failures.length === 0 && playlistUnchanged && filesUnchanged && result.healthy ? 0 : 1;
} finally {
  await stop(streamer?.child);
  await rm(tmp, { recursive: true, force: true });
}
