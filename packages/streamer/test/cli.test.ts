// The built bin, spawned as a user would run it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeSegments, tempDir } from './helpers/fixtures.js';
import { publishPart, raw, type RawResponse } from './helpers/server.js';
import { slowClient } from './helpers/slow-client.js';

const bin = fileURLToPath(new URL('../bin/hls-streamer.js', import.meta.url));
let tmp: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(() => tmp.remove());

function start(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, HLS_PUBLISH_TOKEN: '', HLS_VIEWER_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    const line = run
      .stdout()
      .split('\n')
      .find((l) => l.includes('listening on'));
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

describe('hls-streamer timeouts', () => {
  it('cuts off a slow-loris client at --headers-timeout, not 30 s later', async () => {
    const run = start(['--port', '0', '--host', '127.0.0.1', '--media-dir', tmp.path, '--request-timeout', '2', '--headers-timeout', '1']);
    try {
      const port = Number(new URL(await listeningUrl(run)).port);
      const result = await slowClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: 1\r\n', 150);
      expect(result.closedAfterMs).toBeGreaterThanOrEqual(800);
      expect(result.closedAfterMs).toBeLessThanOrEqual(2500);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});

// The viewer token through the real program: the flag, the environment variable, and what it
// guards (Low-Latency HLS included) and leaves open.
describe('hls-streamer viewer token', () => {
  const runs: ReturnType<typeof start>[] = [];
  let chunks: Buffer[];
  beforeAll(async () => {
    chunks = await makeSegments(tmp.path, 4, 0.2);
  });
  afterEach(async () => {
    for (const run of runs.splice(0)) {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  async function streamer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
    const run = start(['--port', '0', '--host', '127.0.0.1', '--media-dir', freshDir(), ...args], env);
    runs.push(run);
    return Number(new URL(await listeningUrl(run)).port);
  }

  /** This run's part epoch, read from the playlist its parts are listed in. */
  async function partEpoch(port: number, headers: Record<string, string>): Promise<string> {
    const text = (await raw(port, { path: '/stream.m3u8', headers })).body.toString();
    const epoch = /URI="parts\/([0-9a-f]{8})\./.exec(text)?.[1];
    expect(epoch, text).toBeDefined();
    return epoch!;
  }

  async function cookieFor(port: number, token: string): Promise<Record<string, string>> {
    const res = await raw(port, { path: `/?token=${token}` });
    expect(res.status).toBe(200);
    return { Cookie: String(res.headers['set-cookie']).split(';')[0]! };
  }

  it.each([
    ['--viewer-token', ['--viewer-token', 'from-flag'], {}, 'from-flag'],
    ['HLS_VIEWER_TOKEN', [], { HLS_VIEWER_TOKEN: 'from-env' }, 'from-env'],
    ['--viewer-token over HLS_VIEWER_TOKEN', ['--viewer-token', 'from-flag'], { HLS_VIEWER_TOKEN: 'from-env' }, 'from-flag'],
  ])('takes the token from %s', async (_from, args, env, token) => {
    const port = await streamer(args, env);
    expect((await publishPart(port, { segment: 'a.ts', index: 0, body: chunks[0]! })).status).toBe(201);
    const other = token === 'from-flag' ? 'from-env' : 'from-flag';
    const epoch = await partEpoch(port, { Authorization: `Bearer ${token}` });
    for (const path of ['/', '/stream.m3u8', `/parts/${epoch}.0.0.ts`]) {
      expect((await raw(port, { path })).status).toBe(401);
      expect((await raw(port, { path, headers: { Authorization: `Bearer ${other}` } })).status).toBe(401);
      expect((await raw(port, { path, headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    }
  });

  it('serves with no token when neither is given', async () => {
    const port = await streamer([]);
    expect((await raw(port, { path: '/stream.m3u8' })).status).toBe(200);
    expect((await raw(port, { path: '/metrics' })).status).toBe(200);
  });

  it('guards parts, blocking playlist reloads and the hinted part: 401 at once without it, held and answered with it', async () => {
    const port = await streamer(['--viewer-token', 'view-me']);
    expect((await publishPart(port, { segment: 'a.ts', index: 0, body: chunks[0]! })).status).toBe(201);
    const credentials: Record<string, { headers?: Record<string, string>; query?: string }> = {
      bearer: { headers: { Authorization: 'Bearer view-me' } },
      cookie: { headers: await cookieFor(port, 'view-me') },
      query: { query: 'token=view-me' },
    };
    const url = (path: string, query?: string) => (query === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}${query}`);
    const epoch = await partEpoch(port, { Authorization: 'Bearer view-me' });

    // Without the token nothing is held: the refusal comes at once, for a part that will come too.
    for (const path of [`/parts/${epoch}.0.0.ts`, `/parts/${epoch}.0.1.ts`, '/stream.m3u8?_HLS_msn=0&_HLS_part=0', '/stream.m3u8?_HLS_msn=0&_HLS_part=1']) {
      for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Cookie: 'hls_viewer=view-me' }] as Record<string, string>[]) {
        const asked = Date.now();
        const res = await raw(port, { path, headers });
        expect(res.status, path).toBe(401);
        expect(res.json().error.code).toBe('VIEWER_UNAUTHORIZED');
        expect(Date.now() - asked).toBeLessThan(1000);
      }
      expect((await raw(port, { path: url(path, 'token=wrong') })).status).toBe(401);
    }

    // With it: what is there comes at once, what is hinted or blocked on is held until published.
    let index = 0;
    for (const [how, c] of Object.entries(credentials)) {
      expect((await raw(port, { path: url(`/parts/${epoch}.0.0.ts`, c.query), headers: c.headers })).body.equals(chunks[0]!), how).toBe(true);
      expect((await raw(port, { path: url(`/stream.m3u8?_HLS_msn=0&_HLS_part=${index}`, c.query), headers: c.headers })).status, how).toBe(200);
      const next = index + 1;
      const hinted = raw(port, { path: url(`/parts/${epoch}.0.${next}.ts`, c.query), headers: c.headers });
      const blocked = raw(port, { path: url(`/stream.m3u8?_HLS_msn=0&_HLS_part=${next}`, c.query), headers: c.headers });
      await new Promise((r) => setTimeout(r, 200));
      const published = await publishPart(port, { segment: 'a.ts', index: next, body: chunks[next]!, last: next === 3 });
      expect(published.status, published.body.toString()).toBe(201);
      const [part, playlist]: RawResponse[] = await Promise.all([hinted, blocked]);
      expect(part.status, how).toBe(200);
      expect(part.body.equals(chunks[next]!)).toBe(true);
      expect(playlist.status, how).toBe(200);
      expect(playlist.body.toString()).toContain(`URI="parts/${epoch}.0.${next}.ts"`);
      index = next;
    }
  });

  it('leaves /healthz open and puts /metrics behind the token', async () => {
    const port = await streamer(['--viewer-token', 'view-me']);
    const health = await raw(port, { path: '/healthz' });
    expect(health.status).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', live: false, segments: 0, mediaSequence: 0 });
    for (const headers of [{}, { Authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await raw(port, { path: '/metrics', headers });
      expect(res.status).toBe(401);
      expect(res.json().error.code).toBe('VIEWER_UNAUTHORIZED');
    }
    const metrics = await raw(port, { path: '/metrics', headers: { Authorization: 'Bearer view-me' } });
    expect(metrics.status).toBe(200);
    expect(metrics.body.toString()).toContain('hls_active_viewers');
    expect((await raw(port, { path: '/metrics', headers: await cookieFor(port, 'view-me') })).status).toBe(200);
  });
});

let dirs = 0;
const freshDir = () => join(tmp.path, `media-${dirs++}`);
