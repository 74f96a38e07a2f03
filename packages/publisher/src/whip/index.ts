// `--input whip`: the WHIP server (server.ts) with its TLS set up from the flags, and the lines
// that tell the user where to point a phone or OBS.
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { createWhipServer, type WhipServer } from './server.js';
import { checkWhipOptions, isLoopbackHost, WHIP_DEFAULTS, type WhipServerOptions } from './options.js';
import { loadTls, selfSignedTls, type TlsPair } from './tls.js';

export { createWhipServer, type CreateWhipServerOptions, type WhipServer } from './server.js';
export { checkWhipOptions, isLoopbackHost, parseWhipHost, parseWhipPort, parseWhipToken, WHIP_DEFAULTS, type WhipServerOptions } from './options.js';
export { loadTls, selfSignedTls, type TlsPair } from './tls.js';

export interface OpenedWhipServer {
  server: WhipServer;
  /** The base URL as bound (`https://0.0.0.0:8890`). */
  url: string;
  /** URLs to open on another device: one per LAN address when bound to every interface. */
  reachableAt: string[];
  tls: TlsPair | undefined;
}

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((i) => (i && i.family === 'IPv4' && !i.internal ? [i.address] : []));
}

/**
 * TLS from --tls-cert/--tls-key, else a self-signed pair when listening beyond loopback (a phone's
 * browser gives the camera only to https pages), else plain HTTP on loopback; then listen.
 */
export async function openWhipServer(options: WhipServerOptions, logger: Logger): Promise<OpenedWhipServer> {
  checkWhipOptions(options);
  const host = options.host ?? WHIP_DEFAULTS.host;
  const wildcard = host === '0.0.0.0' || host === '::';
  const names = wildcard ? lanAddresses() : [host];
  const tls =
    options.tlsCert !== undefined && options.tlsKey !== undefined
      ? await loadTls(options.tlsCert, options.tlsKey)
      : isLoopbackHost(host)
        ? undefined
        : await selfSignedTls(names);
  const server = createWhipServer({ ...options, tls, logger });
  const url = await server.listen();
  const port = new URL(url).port;
  const scheme = tls ? 'https' : 'http';
  const reachableAt = wildcard ? names.map((n) => `${scheme}://${n}:${port}/`) : [`${url}/`];
  return { server, url, reachableAt, tls };
}
