// HTTPS for the capture page: browsers give the camera only to https pages (or localhost). With
// no --tls-cert/--tls-key beyond loopback, a self-signed certificate is made at start with the
// `openssl` command (on every Linux and macOS; node:crypto makes keys but no X.509 certificates,
// and a hand-written DER builder is more code to trust than one well-known binary).
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { PublisherError } from '../errors.js';

export interface TlsPair {
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the certificate, `AB:CD:...`, to compare with what a phone shows. */
  fingerprint: string;
  selfSigned: boolean;
}

export async function loadTls(certPath: string, keyPath: string): Promise<TlsPair> {
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]).catch((error: NodeJS.ErrnoException) => {
    throw new PublisherError('TLS_FILE', `cannot read the TLS certificate or key: ${error.message}`);
  });
  return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256, selfSigned: false };
}

/** A fresh self-signed certificate naming `names` (IP addresses and host names) and localhost. */
export async function selfSignedTls(names: string[], openssl = 'openssl'): Promise<TlsPair> {
  const dir = await mkdtemp(join(tmpdir(), 'hls-publish-tls-'));
  try {
    const san = [...new Set(['localhost', '127.0.0.1', ...names])].map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    const args = [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      '/CN=hls-publish',
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ];
    await new Promise<void>((resolve, reject) => {
      execFile(openssl, args, { timeout: 20_000 }, (error, _stdout, stderr) => (error ? reject(new Error(String(stderr).trim() || error.message)) : resolve()));
    }).catch((error: Error) => {
      throw new PublisherError('TLS_SELF_SIGNED', `cannot make a self-signed certificate with openssl (${error.message}); pass --tls-cert and --tls-key`);
    });
    const pair = await loadTls(join(dir, 'cert.pem'), join(dir, 'key.pem'));
    return { ...pair, selfSigned: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
