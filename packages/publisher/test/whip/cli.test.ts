// `hls-publish --input whip` as a user runs it: the exposure check, HTTPS with the printed
// fingerprint, the capture page, and a clean exit on SIGINT with no publisher ever connected.
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedTls, type TlsPair } from '../../src/whip/tls.js';
import { waitFor } from '../helpers/streamer.js';

const bin = fileURLToPath(new URL('../../bin/hls-publish.js', import.meta.url));

function start(args: string[]) {
  const { HLS_WHIP_TOKEN: _, ...env } = process.env;
  const child = spawn(process.execPath, [bin, '--streamer', 'http://127.0.0.1:9', '--detector', 'off', '--mjpeg', 'off', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c));
  child.stderr.on('data', (c: Buffer) => (out += c));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, done, out: () => out };
}

let work: string;
let tls: TlsPair;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'whip-cli-'));
  tls = await selfSignedTls(['192.0.2.7', 'camera.local']);
  await writeFile(join(work, 'cert.pem'), tls.cert);
  await writeFile(join(work, 'key.pem'), tls.key);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('self-signed certificate', () => {
  it("names the addresses a phone will use, and its fingerprint is the certificate's", () => {
    const cert = new X509Certificate(tls.cert);
    expect(cert.subjectAltName).toContain('IP Address:192.0.2.7');
    expect(cert.subjectAltName).toContain('DNS:camera.local');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(tls.fingerprint).toBe(cert.fingerprint256);
    expect(tls.selfSigned).toBe(true);
  });
});

describe('hls-publish --input whip', () => {
  it.each([
    [['--whip-host', '0.0.0.0'], /--whip-token/],
    [['--whip-host', '0.0.0.0', '--allow-open-whip', '--tls-cert', 'x.pem'], /--tls-key/],
    [['--whip-port', '70000'], /Expected `--whip-port` to be a port from 0 to 65535/],
  ])('refuses %j in one line', async (args, message) => {
    const run = start(['--input', 'whip', ...args]);
    expect(await run.done).toBe(1);
    expect(run.out()).toMatch(message);
    expect(run.out().trimEnd().split('\n')).toHaveLength(1);
  });

  it('serves the capture page over HTTPS with --tls-cert/--tls-key, prints the fingerprint, and exits 0 on SIGINT', async () => {
    const run = start(['--input', 'whip', '--whip-port', '0', '--tls-cert', join(work, 'cert.pem'), '--tls-key', join(work, 'key.pem')]);
    try {
      await waitFor('the endpoint line', () => /capture page: https:\/\/127\.0\.0\.1:\d+\//.test(run.out()), 15_000);
      const page = /capture page: (https:\/\/127\.0\.0\.1:(\d+)\/)/.exec(run.out())!;
      expect(run.out()).toContain(`SHA-256: ${tls.fingerprint}`);
      const served = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port: Number(page[2]), rejectUnauthorized: false }, () => {
          resolve(socket.getPeerX509Certificate()!.fingerprint256);
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(served).toBe(tls.fingerprint);
      const html = await new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
        https
          .get(page[1]!, { ca: tls.cert }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
          })
          .on('error', reject);
      });
      expect(html.status).toBe(200);
      expect(html.type).toMatch(/^text\/html/);
      expect(html.body).toContain('id="publish"');
      expect(html.body).not.toMatch(/https?:\/\/(?!127)/);
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.done).toBe(0);
  });
  // Listening on every interface is "beyond loopback"; the test still talks to 127.0.0.1 only.
  it('makes a self-signed certificate at start when listening beyond loopback with no --tls-*, and serves the one it printed', async () => {
    const run = start(['--input', 'whip', '--whip-host', '0.0.0.0', '--whip-port', '0', '--whip-token', 'cli-test-token']);
    try {
      await waitFor('the fingerprint line', () => /self-signed, made now\) SHA-256: [0-9A-F:]{95}/.test(run.out()), 20_000);
      const printed = /self-signed, made now\) SHA-256: ([0-9A-F:]{95})/.exec(run.out())![1];
      const port = Number(/capture page: https:\/\/[^/\s]+:(\d+)\//.exec(run.out())![1]);
      const served = await new Promise<X509Certificate>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          resolve(socket.getPeerX509Certificate()!);
          socket.end();
        });
        socket.on('error', reject);
      });
      expect(served.fingerprint256).toBe(printed);
      expect(served.subject).toBe(served.issuer);
      expect(served.subjectAltName).toContain('IP Address:127.0.0.1');
    } finally {
      run.child.kill('SIGINT');
    }
    expect(await run.done).toBe(0);
  });
});
