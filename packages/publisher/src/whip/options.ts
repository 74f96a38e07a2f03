// The WHIP server's options (`--input whip`): typed once, defaults here, validators naming the flag.
import { isIP } from 'node:net';
import { OptionError } from '../errors.js';
import type { SessionTimings } from './session.js';

export interface WhipServerOptions extends SessionTimings {
  /** Port of the WHIP endpoint and the capture page (0: any free port). Default 8890. */
  port?: number;
  /** Interface to listen on; ICE binds the same address. Default `127.0.0.1`. */
  host?: string;
  /** Bearer token publishers must send; required beyond loopback unless `allowOpen`. */
  token?: string | undefined;
  /** Listen beyond loopback without a token (anyone who can reach it may publish). Default false. */
  allowOpen?: boolean;
  /** PEM certificate and key to serve HTTPS; beyond loopback without them a self-signed pair is made. */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

export const WHIP_DEFAULTS = { port: 8890, host: '127.0.0.1' } as const;

export function parseWhipPort(value: string): number {
  const n = /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65_535)) throw new OptionError('--whip-port', 'a port from 0 to 65535 (0: any free port)', value);
  return n;
}

export function parseWhipHost(value: string): string {
  const bare = value.trim().replace(/^\[|\]$/g, '');
  if (!bare || (!isIP(bare) && !/^[A-Za-z0-9.-]{1,253}$/.test(bare))) throw new OptionError('--whip-host', 'an IP address or host name', value);
  return bare;
}

export function parseWhipToken(value: string): string {
  if (!/^[\x21-\x7e]{1,512}$/.test(value)) throw new OptionError('--whip-token', 'printable characters without spaces', value);
  return value;
}

/** True for names and addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || /^::ffff:127\./.test(bare);
}

/** Refuses a WHIP endpoint open to anyone beyond loopback, and half a TLS pair; as the streamer does for publishing. */
export function checkWhipOptions(options: WhipServerOptions): void {
  const host = options.host ?? WHIP_DEFAULTS.host;
  if (options.token === undefined && !options.allowOpen && !isLoopbackHost(host)) {
    throw new OptionError(
      '--whip-token',
      `set to listen on ${host} (anyone who can reach it could publish): pass --whip-token <token> (or set HLS_WHIP_TOKEN), ` +
        'bind --whip-host 127.0.0.1, or pass --allow-open-whip',
      undefined,
    );
  }
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new OptionError(options.tlsCert === undefined ? '--tls-cert' : '--tls-key', 'given with its pair (--tls-cert and --tls-key together)', undefined);
  }
}
