// The built bin, spawned as a user would run it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/fixtures.js';

const bin = fileURLToPath(new URL('../bin/hls-streamer.js', import.meta.url));
let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.remove());

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, HLS_PUBLISH_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('hls-streamer', () => {
  it.each([
    [['--window', 'abc'], 'Expected `--window` to be a positive integer, got `abc`'],
    [['--port', '99999'], 'Expected `--port` to be a port number from 0 to 65535, got `99999`'],
    [['--target-duration', '0'], 'Expected `--target-duration` to be an integer number of seconds from 1 to 30, got `0`'],
    [['--cors-origin', 'ftp://x/y'], 'Expected `--cors-origin` to be'],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const run = start(args);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain(message);
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
    expect(run.stderr()).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('says so in one line when the port is taken', async () => {
    const first = start(['--port', '0', '--host', '127.0.0.1', '--media-dir', tmp.path]);
    const url = await listeningUrl(first);
    const taken = start(['--port', new URL(url).port, '--host', '127.0.0.1', '--media-dir', tmp.path]);
    expect(await taken.exited).toBe(1);
    expect(taken.stderr()).toMatch(/^hls-streamer: .*EADDRINUSE.*\n$/);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });

  it('prints its URL, serves, takes the token from HLS_PUBLISH_TOKEN and exits 0 on SIGINT', async () => {
    const run = start(['--port', '0', '--host', '127.0.0.1', '--media-dir', tmp.path], { HLS_PUBLISH_TOKEN: 'from-env' });
    const url = await listeningUrl(run);
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${url}/publish/end`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${url}/publish/end`, { method: 'POST', headers: { Authorization: 'Bearer from-env' } })).status).toBe(200);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('"msg":"stopped"');
  });
});

async function listeningUrl(run: ReturnType<typeof start>): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const line = run.stdout().split('\n').find((l) => l.includes('listening on'));
    if (line) return (JSON.parse(line) as { url: string }).url;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no listening line; stderr: ${run.stderr()}`);
}

describe('hls-streamer beyond loopback', () => {
  it('refuses --host 0.0.0.0 without a publish token in one line, and starts with --allow-open-publish', async () => {
    const refused = start(['--port', '0', '--host', '0.0.0.0', '--media-dir', tmp.path]);
    expect(await refused.exited).toBe(1);
    expect(refused.stderr()).toMatch(/^hls-streamer: Refusing to listen on 0\.0\.0\.0 .*--allow-open-publish.*\n$/);
    const open = start(['--port', '0', '--host', '0.0.0.0', '--allow-open-publish', '--media-dir', tmp.path]);
    await listeningUrl(open);
    open.child.kill('SIGTERM');
    expect(await open.exited).toBe(0);
  });
});
