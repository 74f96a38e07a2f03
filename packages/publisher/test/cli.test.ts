// The built `hls-publish` bin, spawned as a user would run it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPublishServer, type PublishServer } from './helpers/publish-server.js';
import { isAlive } from './helpers/media.js';

const bin = fileURLToPath(new URL('../bin/hls-publish.js', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { HLS_PUBLISH_TOKEN: _, ...rest } = process.env;
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...rest, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done, stdout: () => stdout };
}

const oneLine = (text: string) => text.trimEnd().split('\n').length === 1;

let server: PublishServer;
beforeAll(async () => {
  server = await startPublishServer();
});
afterAll(async () => {
  await server.close();
});

describe('hls-publish', () => {
  it.each([
    [['--fps', 'abc'], /Expected `--fps` to be an integer from 1 to 120, got `abc`/],
    [['--size', '640'], /Expected `--size` to be WIDTHxHEIGHT/],
    [['--streamer', 'nope'], /Expected `--streamer` to be an http/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--device', '0', '--input', 'test'], /cannot be used with/],
  ])('refuses %j with one line on stderr and a non-zero exit', async (args, message) => {
    const run = await start(args).done;
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(oneLine(run.stderr), run.stderr).toBe(true);
    expect(run.stdout).toBe('');
  });

  it('says what to try when the camera is missing', async () => {
    const run = await start(['--device', '7', '--streamer', server.url]).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'hls-publish: no camera /dev/video7; run `hls-publish --list-devices` to see the cameras, or use `--input test` for a test pattern\n',
    );
  });

  it('refuses a bad token from the environment in one line', async () => {
    const run = await start(['--input', 'test'], { HLS_PUBLISH_TOKEN: 'has space' }).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('hls-publish: Expected `--token` to be printable characters without spaces, got `has space`\n');
  });

  it('says so when the input file is missing', async () => {
    const run = await start(['--input', '/nonexistent/clip.mp4']).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('hls-publish: Expected `--input` to be `test`, an rtsp:// URL or an existing file, got `/nonexistent/clip.mp4`\n');
  });

  it('lists cameras (none on this machine) and exits 0', async () => {
    const run = await start(['--list-devices']).done;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^(No cameras found|\d+\t)/);
  });

  it('on SIGTERM flushes the last segment, ends the stream and exits 0 with no ffmpeg left', async () => {
    server.received.length = 0;
    const proc = start(['--input', 'test', '--size', '160x120', '--fps', '10', '--segment-seconds', '1', '--streamer', server.url]);
    await server.waitFor('a segment', () => server.segments().length >= 1);
    // JSON logs on stdout when not on a terminal.
    const logs = proc
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string });
    expect(
      logs.find((log) => log.msg === 'publishing'),
      proc.stdout(),
    ).toMatchObject({ level: 30, msg: 'publishing', source: 'test' });
    const children = (await import('node:child_process'))
      .execFileSync('pgrep', ['-P', String(proc.child.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(children).toHaveLength(2);
    const before = server.segments().length;
    proc.child.kill('SIGTERM');
    const run = await proc.done;
    expect(run).toMatchObject({ code: 0, signal: null });
    expect(server.segments().length).toBeGreaterThan(before);
    expect(server.received.at(-1)!.url).toBe('/publish/end');
    for (const pid of children) expect(isAlive(pid)).toBe(false);
  });

  it('stops with one line about --token when the streamer refuses the token', async () => {
    server.respond(() => ({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'bad token' } } }));
    try {
      const run = await start(
        ['--input', 'test', '--size', '160x120', '--fps', '10', '--segment-seconds', '1', '--streamer', server.url, '--log-level', 'silent'],
        { HLS_PUBLISH_TOKEN: 'wrong' },
      ).done;
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('hls-publish: the streamer refused to publish (401); pass its publish token with `--token` (or HLS_PUBLISH_TOKEN)\n');
      expect(server.received.at(-1)!.headers.authorization).toBe('Bearer wrong');
    } finally {
      server.respond(undefined);
    }
  });
});
