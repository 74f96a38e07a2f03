// Publishing is refused to strangers by default: a streamer reachable beyond this machine must
// have a publish token, unless its operator says in so many words that anyone may publish.
import { isIP } from 'node:net';
import { StreamerError } from '../errors.js';

/** True for names and addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  return /^::ffff:127\./.test(bare);
}

/** Throws INVALID_OPTION (one line, naming the flags) for an open publish endpoint beyond loopback. */
export function checkPublishExposure(host: string, publishToken: string | undefined, allowOpenPublish: boolean): void {
  if (publishToken !== undefined || allowOpenPublish || isLoopbackHost(host)) return;
  throw new StreamerError(
    'INVALID_OPTION',
    `Refusing to listen on ${host} with publishing open to anyone: pass --publish-token <token> (or set HLS_PUBLISH_TOKEN), ` +
      'bind --host 127.0.0.1, or pass --allow-open-publish to accept uploads from anyone who can reach it.',
    { option: '--publish-token', value: host },
  );
}
