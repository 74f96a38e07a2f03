// --config: per-stream tokens from YAML or JSON, checked with messages naming the field; and the
// flags that go with named streams, through the built bin.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../src/config.js';
import { makeSegment, tempDir } from './helpers/fixtures.js';
import { publish } from './helpers/server.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let segment: Buffer;
beforeAll(async () => {
  tmp = await tempDir();
  segment = await makeSegment(tmp.path);
});
afterAll(() => tmp.remove());

describe('parseConfig', () => {
  it('reads tokens per stream, under `streams` or MediaMTX-style `paths`', () => {
    expect(parseConfig({ streams: { door: { publishToken: 'a', viewerToken: 'b' }, yard: { viewerToken: 'c' } } })).toEqual(
      new Map([
        ['door', { publishToken: 'a', viewerToken: 'b' }],
        ['yard', { viewerToken: 'c' }],
      ]),
    );
    expect(parseConfig({ paths: { door: { publishToken: 'a' } } })).toEqual(new Map([['door', { publishToken: 'a' }]]));
    expect(parseConfig(null)).toEqual(new Map());
  });

  it.each([
    [[], '`the document`'],
    [{ cameras: {} }, '`cameras`'],
    [{ streams: {}, paths: {} }, '`paths`'],
    [{ streams: [] }, '`streams`'],
    [{ streams: { Door: {} } }, '`streams.Door`'],
    [{ streams: { door: 'x' } }, '`streams.door`'],
    [{ streams: { door: { password: 'x' } } }, '`streams.door.password`'],
    [{ streams: { door: { publishToken: '' } } }, '`streams.door.publishToken`'],
    [{ streams: { door: { viewerToken: 7 } } }, '`streams.door.viewerToken`'],
  ])('refuses %j naming %s', (document, where) => {
    expect(() => parseConfig(document, 'c.json')).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(`Expected ${where} in c.json`) }),
    );
  });
});

describe('loadConfig', () => {
  it('parses YAML by its extension and JSON otherwise', async () => {
    const yaml = join(tmp.path, 'streams.yml');
    await writeFile(yaml, '# cameras\nstreams:\n  door:\n    publishToken: door-secret\n    viewerToken: family\n  yard: {}\n');
    expect(await loadConfig(yaml)).toEqual(
      new Map([
        ['door', { publishToken: 'door-secret', viewerToken: 'family' }],
        ['yard', {}],
      ]),
    );
    const json = join(tmp.path, 'streams.json');
    await writeFile(json, JSON.stringify({ paths: { yard: { viewerToken: 'x' } } }));
    expect(await loadConfig(json)).toEqual(new Map([['yard', { viewerToken: 'x' }]]));
  });

  it('names the file when it is missing or does not parse', async () => {
    await expect(loadConfig(join(tmp.path, 'nope.yaml'))).rejects.toThrow(/Cannot read --config/);
    const bad = join(tmp.path, 'bad.yaml');
    await writeFile(bad, 'streams: [unclosed\n');
    await expect(loadConfig(bad)).rejects.toThrow(/is not valid YAML/);
  });
});

const bin = fileURLToPath(new URL('../bin/hls-streamer.js', import.meta.url));

function start(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, HLS_PUBLISH_TOKEN: '', HLS_VIEWER_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('hls-streamer stream flags', () => {
  it.each([
    [['--max-streams', '0'], 'Expected `--max-streams` to be an integer from 1 to 10000, got `0`', 2],
    [['--stream-retention', 'soon'], 'Expected `--stream-retention` to be a number of seconds', 2],
  ])('refuses %j', async (args, message, code) => {
    const run = start(args);
    expect(await run.exited).toBe(code);
    expect(run.stderr()).toContain(message);
  });

  it('refuses a bad --config file at start with one line', async () => {
    const bad = join(tmp.path, 'bad-name.yaml');
    await writeFile(bad, 'streams:\n  Front Door: {}\n');
    const run = start(['--config', bad, '--port', '0', '--host', '127.0.0.1', '--media-dir', join(tmp.path, 'm0')]);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('Expected `streams.Front Door`');
  });

  it('gives a stream of the --config file its own publish token', async () => {
    const file = join(tmp.path, 'tokens.yaml');
    await writeFile(file, 'streams:\n  door:\n    publishToken: door-only\n');
    const run = start(['--config', file, '--port', '0', '--host', '127.0.0.1', '--media-dir', join(tmp.path, 'm1'), '--log-level', 'info']);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${run.stdout()} ${run.stderr()}`)), 10_000);
        run.child.stdout.on('data', () => {
          const m = /"port":(\d+)/.exec(run.stdout());
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      expect((await publish(port, { name: 'a.ts', body: segment, stream: 'door' })).status).toBe(401);
      expect((await publish(port, { name: 'a.ts', body: segment, stream: 'door', token: 'door-only' })).status).toBe(201);
      expect((await publish(port, { name: 'b.ts', body: segment, stream: 'yard' })).status).toBe(201);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
