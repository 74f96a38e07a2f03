// `_HLS_msn` / `_HLS_part` of a Low-Latency HLS playlist request (RFC 8216bis 6.2.5.2), pure. A
// viewer-side query, not part of the publish contract (that is @hls-live/protocol).
import { StreamerError } from '../errors.js';

export interface BlockingRequest {
  readonly msn: number;
  readonly part: number | undefined;
}

const COUNT = /^\d{1,15}$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/** The blocking request of a playlist query; undefined for a plain request. */
export function parseBlockingQuery(query: Readonly<Record<string, string | string[] | undefined>>): BlockingRequest | undefined {
  const msn = single(query._HLS_msn);
  const part = single(query._HLS_part);
  if (msn === undefined) {
    if (part !== undefined) throw new StreamerError('INVALID_BLOCKING_REQUEST', '`_HLS_part` needs `_HLS_msn`.', { part: part.slice(0, 40) });
    return undefined;
  }
  if (!COUNT.test(msn))
    throw new StreamerError('INVALID_BLOCKING_REQUEST', `Expected \`_HLS_msn\` to be a media sequence number, got \`${msn.slice(0, 40)}\`.`);
  if (part !== undefined && !COUNT.test(part))
    throw new StreamerError('INVALID_BLOCKING_REQUEST', `Expected \`_HLS_part\` to be a part index, got \`${part.slice(0, 40)}\`.`);
  return { msn: Number(msn), part: part === undefined ? undefined : Number(part) };
}
