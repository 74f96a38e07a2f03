// Shared helpers of the benchmarks: processes of the built packages, /proc readings, wrk, the
// machine's description and the result files. Nothing here asserts a timing.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const resultsDir = join(root, 'bench/results');
export const STREAMER_BIN = join(root, 'packages/streamer/bin/hls-streamer.js');
export const PUBLISHER_BIN = join(root, 'packages/publisher/bin/hls-publish.js');
export const SAMPLE_FACES = join(root, 'packages/publisher/node_modules/@vladmandic/face-api/demo/sample1.jpg');

export const quick = process.argv.includes('--quick');
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function median(values) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function percentile(values, q) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const round = (n, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits);

export function load() {
  return loadavg().map((n) => round(n, 2));
}

function tryRun(file, args) {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || null;
  }
}

export function machine() {
  const firstLine = (text) => text?.split('\n')[0] ?? null;
  return {
    nproc: Number(tryRun('nproc', [])),
    cpu: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? null,
    memory: tryRun('free', ['-h']),
    node: process.version,
    ffmpeg: firstLine(tryRun('ffmpeg', ['-version'])),
    chromium: firstLine(tryRun('/usr/bin/chromium', ['--version'])),
    nginx: firstLine(tryRun('/usr/sbin/nginx', ['-v'])),
    wrk: firstLine(tryRun('wrk', ['--version'])),
    kernel: tryRun('uname', ['-r']),
  };
}

export async function saveResult(name, result) {
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.json`);
  await writeFile(file, `${JSON.stringify({ name, date: new Date().toISOString(), quick, machine: machine(), ...result }, null, 2)}\n`);
  console.log(`[${name}] wrote ${file}`);
}

// ---- /proc -------------------------------------------------------------------------------

const CLK_TCK = Number(tryRun('getconf', ['CLK_TCK'])) || 100;

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: fields are counted from the closing parenthesis.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** The pid and every live descendant (e.g. the publisher and its ffmpeg children). */
export function processTree(pid) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = stat(entry);
    if (info) parents.set(Number(entry), info.ppid);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  }
  return tree;
}

/** CPU seconds (user + system) used so far by each process of the tree, by pid. */
export function cpuSeconds(pid) {
  const byPid = {};
  for (const p of processTree(pid)) {
    const info = stat(p);
    if (info) byPid[p] = (info.utime + info.stime) / CLK_TCK;
  }
  return byPid;
}

/** CPU seconds the tree used between two `cpuSeconds` readings (pids present in both). */
export function cpuDelta(before, after) {
  let total = 0;
  for (const [pid, seconds] of Object.entries(after)) total += seconds - (before[pid] ?? 0);
  return total;
}

export function rssMiB(pid) {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return round(kb / 1024, 1);
  } catch {
    return null;
  }
}

/** What a process is: its command name, and for ffmpeg whether it is the publisher's capture or encoder. */
export function processRole(pid) {
  const name = commandName(pid);
  if (name !== 'ffmpeg') return name;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    // A WHIP capture reads IVF on stdin: it is a capture, not the encoder.
    if (args.includes('pipe:0') && !args.includes('ivf')) return 'encoder ffmpeg';
    if (args.at(-2) === 'pipe:1' || args.at(-1) === 'pipe:1') return 'capture ffmpeg';
  } catch {
    // Gone already.
  }
  return name;
}

export function commandName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

// ---- processes ---------------------------------------------------------------------------

const children = new Set();
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
// No process of ours outlives the benchmark, however it ends.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

export function stop(child, timeoutMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Spawns `node <bin>` and resolves once a JSON log line satisfies `ready`. */
function spawnNode(bin, args, ready, what, nodeArgs = []) {
  const child = track(spawn(process.execPath, [...nodeArgs, bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready in 60 s: ${stderr}`)), 60_000);
    lines.on('line', (line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      const value = ready(entry);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve({ child, ...value });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${stderr}`));
    });
  });
}

/** The built hls-streamer on a free loopback port; resolves with `{ child, url }`. */
export async function startStreamer(args = [], { mediaDir, nodeArgs = [] }) {
  return spawnNode(
    STREAMER_BIN,
    ['--port', '0', '--host', '127.0.0.1', '--media-dir', mediaDir, '--log-level', 'info', ...args],
    (entry) => (typeof entry.url === 'string' && /listening/.test(entry.msg ?? '') ? { url: entry.url } : undefined),
    'hls-streamer',
    nodeArgs,
  );
}

/** The built hls-publish; resolves once it logs `publishing`. */
export async function startPublisher(streamerUrl, args = []) {
  let metricsUrl;
  return spawnNode(
    PUBLISHER_BIN,
    ['--streamer', streamerUrl, '--mjpeg', 'off', '--log-level', 'info', ...args],
    (entry) => {
      // With --metrics-port, its URL is logged before capture starts.
      if (entry.msg === 'metrics served') metricsUrl = entry.url;
      return entry.msg === 'publishing' ? { metricsUrl } : undefined;
    },
    'hls-publish',
  );
}

// ---- HTTP --------------------------------------------------------------------------------

export function get(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the playlist text once it lists at least `count` segments. */
export async function waitForSegments(url, count, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await get(`${url}/stream.m3u8`).catch(() => undefined);
    const text = res?.status === 200 ? res.body.toString() : '';
    if ((text.match(/#EXTINF/g) ?? []).length >= count) return text;
    if (Date.now() > deadline) throw new Error(`fewer than ${count} segments after ${timeoutMs} ms`);
    await sleep(250);
  }
}

export function segmentNames(playlist) {
  return playlist.split('\n').filter((line) => line && !line.startsWith('#'));
}

/** Prometheus text -> { 'name{labels}': value }. */
export function parseMetrics(text) {
  const values = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values[line.slice(0, space)] = Number(line.slice(space + 1));
  }
  return values;
}

// ---- wrk ---------------------------------------------------------------------------------

const TIME_UNITS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };
const BYTE_UNITS = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

function parseMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  return m ? Number(m[1]) * TIME_UNITS[m[2]] : null;
}

/** Runs wrk and returns requests/s, MB/s (10^6 bytes), p50/p99 in ms, and socket errors. */
export function wrk(url, { connections, seconds, threads = 2, headers = [] }) {
  const args = [`-t${Math.min(threads, connections)}`, `-c${connections}`, `-d${seconds}s`, '--latency', ...headers.flatMap((h) => ['-H', h]), url];
  return new Promise((resolve, reject) => {
    const child = track(spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const transfer = /Transfer\/sec:\s+([\d.]+)(B|KB|MB|GB)/.exec(out);
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        command: `wrk ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}`,
        requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
        mbPerSecond: transfer ? round((Number(transfer[1]) * BYTE_UNITS[transfer[2]]) / 1e6, 2) : null,
        p50Ms: parseMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
        p99Ms: parseMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
        non2xx,
        socketErrors: errors
          ? errors
              .slice(1)
              .map(Number)
              .reduce((a, b) => a + b, 0)
          : 0,
      });
    });
  });
}

/** A TCP port free on 127.0.0.1 right now (the listener is closed before it resolves). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Chromium flags for WebRTC between pages on loopback: host candidates on 127.0.0.1, no mDNS names. */
export const WEBRTC_LOOPBACK_ARGS = ['--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];

/** Debian's Chromium through the e2e package's playwright-core; flags keep it off the network. `extraArgs` are appended. */
export async function launchChromium(extraArgs = []) {
  const { chromium } = await import(join(root, 'packages/e2e/node_modules/playwright-core/index.mjs'));
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
      ...extraArgs,
    ],
  });
}
