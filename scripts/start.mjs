#!/usr/bin/env node
// `pnpm start`: the streamer plus one publisher, for a first look on one machine.
// Uses the webcam when one is there (or when --device is given), the test pattern otherwise.
// Any argument is passed to the publisher, e.g. `pnpm start --input clip.mp4`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = process.env.PORT ?? '8080';
const publisherArgs = process.argv.slice(2);
// The streamer listens on every interface, which needs a publish token: a fresh one per run,
// handed to both children through the environment (they read HLS_PUBLISH_TOKEN).
process.env.HLS_PUBLISH_TOKEN ||= randomBytes(16).toString('hex');

const bins = {
  streamer: `${root}packages/streamer/bin/hls-streamer.js`,
  publisher: `${root}packages/publisher/bin/hls-publish.js`,
};
for (const [name, bin] of Object.entries(bins)) {
  if (!existsSync(bin.replace(/bin\/[^/]+$/, 'dist/cli.js'))) {
    console.error(`start: the ${name} is not built; run \`bash scripts/setup.sh\` first`);
    process.exit(1);
  }
}

function cameraLikely() {
  if (process.platform === 'linux') return existsSync('/dev/video0');
  return process.platform === 'darwin' || process.platform === 'win32';
}

const hasSource = publisherArgs.some((a) => a === '--input' || a === '--device' || a.startsWith('--input=') || a.startsWith('--device='));
if (!hasSource) {
  if (cameraLikely()) publisherArgs.push('--device', '0');
  else {
    console.error('start: no camera found (/dev/video0); publishing the test pattern instead');
    publisherArgs.push('--input', 'test');
  }
}

const children = [];
function run(bin, args) {
  // Their own process group: a terminal's Ctrl-C reaches only this script, which stops the
  // publisher first (so it can publish its last segment and end the stream), then the streamer.
  const child = spawn(process.execPath, [bin, ...args], { stdio: 'inherit', detached: true });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`start: ${bin.split('/').pop()} exited (${signal ?? code}); stopping`);
      stop(code || 1);
    }
  });
  return child;
}

let stopping = false;
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  // The publisher goes first so it can publish its last segment and end the stream.
  const [streamer, publisher] = children;
  const killStreamer = () => streamer?.exitCode === null && streamer.kill('SIGTERM');
  if (publisher && publisher.exitCode === null) {
    publisher.once('exit', killStreamer);
    publisher.kill('SIGTERM');
  } else killStreamer();
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(code);
  }, 10_000).unref();
  Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null))).then(() => process.exit(code));
}
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// WebRTC on: the page plays the camera a tenth of a second behind, HLS as the fallback.
run(bins.streamer, ['--port', port, '--webrtc']);
const streamerUrl = `http://127.0.0.1:${port}`;
for (let i = 0; i < 100 && !stopping; i++) {
  try {
    if ((await fetch(`${streamerUrl}/healthz`)).ok) break;
  } catch {
    /* not listening yet */
  }
  await new Promise((r) => setTimeout(r, 100));
}
if (!stopping) {
  run(bins.publisher, ['--streamer', streamerUrl, ...publisherArgs]);
  console.error(`start: watch at ${streamerUrl}/ (Ctrl-C stops both)`);
}
