// Parsing of the publish contract (docs/PROTOCOL.md): pure, so every rule is tested as a table.
import { StreamerError } from './errors.js';

export const MAX_SEGMENT_SECONDS = 30;
export const MAX_TARGET_DURATION = 30;
/** Session used when a publisher sends no X-Publisher-Session (e.g. a hand-made curl upload). */
export const ANONYMOUS_SESSION = 'anonymous';

const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const DECIMAL = /^\d{1,6}(?:\.\d{1,9})?$/;
const SESSION = /^[A-Za-z0-9_-]{1,64}$/;
const TARGET = /^\d{1,2}$/;
// ISO 8601 date-time with an explicit zone, as Date#toISOString and RFC 3339 write it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export function isSegmentName(name: string): boolean {
  return NAME.test(name) && name.endsWith('.ts') && !name.startsWith('.') && !name.includes('..');
}

/** Checks an already decoded name. */
export function parseSegmentName(name: string): string {
  if (!isSegmentName(name)) {
    throw new StreamerError(
      'INVALID_SEGMENT_NAME',
      'Segment name must be a plain name of 1-128 characters [A-Za-z0-9._-] ending in `.ts`, not starting with `.` and without `..`.',
      { name: name.slice(0, 200) },
    );
  }
  return name;
}

export function parseDuration(raw: string): number {
  const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
  if (!(Number.isFinite(value) && value > 0 && value <= MAX_SEGMENT_SECONDS)) {
    throw new StreamerError(
      'INVALID_DURATION',
      `Segment duration must be a decimal number of seconds in (0, ${MAX_SEGMENT_SECONDS}], got \`${raw.slice(0, 40)}\`.`,
      { duration: raw.slice(0, 40) },
    );
  }
  return value;
}

/** Splits the raw (still percent-encoded) path after `/publish/` into name and duration. */
export function parsePublishPath(rest: string): { name: string; duration: number } {
  const slash = rest.lastIndexOf('/');
  let name: string;
  try {
    name = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  } catch {
    throw new StreamerError('INVALID_SEGMENT_NAME', 'Segment name is not valid percent-encoding.');
  }
  parseSegmentName(name);
  if (slash === -1) throw new StreamerError('INVALID_DURATION', 'Missing duration: POST /publish/<file>/<seconds>.');
  return { name, duration: parseDuration(rest.slice(slash + 1)) };
}

export interface PublishHeaders {
  readonly sessionId: string;
  readonly programDateTime: number;
  readonly declaredTarget: number | undefined;
}

function invalidHeader(header: string, value: string, expected: string): StreamerError {
  return new StreamerError('INVALID_HEADER', `Expected \`${header}\` to be ${expected}, got \`${value.slice(0, 80)}\`.`, { header });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export function parseSessionHeader(raw: string | string[] | undefined): string {
  const value = single(raw);
  if (value === undefined) return ANONYMOUS_SESSION;
  if (!SESSION.test(value)) throw invalidHeader('X-Publisher-Session', value, '1-64 characters [A-Za-z0-9_-]');
  return value;
}

/**
 * Reads the optional publish headers. Without X-Program-Date-Time the segment is taken to have
 * started `duration` seconds before it arrived.
 */
export function parsePublishHeaders(headers: Readonly<Record<string, string | string[] | undefined>>, duration: number, now: number): PublishHeaders {
  const sessionId = parseSessionHeader(headers['x-publisher-session']);
  const pdt = single(headers['x-program-date-time']);
  let programDateTime = now - Math.round(duration * 1000);
  if (pdt !== undefined) {
    const parsed = DATE_TIME.test(pdt) ? Date.parse(pdt) : Number.NaN;
    if (!Number.isFinite(parsed)) throw invalidHeader('X-Program-Date-Time', pdt, 'an ISO 8601 date-time such as 2024-01-31T12:00:00.000Z');
    programDateTime = parsed;
  }
  const target = single(headers['x-target-duration']);
  let declaredTarget: number | undefined;
  if (target !== undefined) {
    const parsed = TARGET.test(target) ? Number(target) : Number.NaN;
    if (!(parsed >= 1 && parsed <= MAX_TARGET_DURATION)) {
      throw invalidHeader('X-Target-Duration', target, `an integer from 1 to ${MAX_TARGET_DURATION}`);
    }
    declaredTarget = parsed;
  }
  return { sessionId, programDateTime, declaredTarget };
}

export interface PartHeaders {
  readonly index: number;
  readonly independent: boolean;
  readonly end: boolean;
  readonly declaredPartTarget: number | undefined;
}

const PART_INDEX = /^\d{1,4}$/;
const FLAG = /^[01]$/;
export const MAX_PART_TARGET = 10;

function flag(headers: Readonly<Record<string, string | string[] | undefined>>, header: string): boolean {
  const value = single(headers[header.toLowerCase()]);
  if (value === undefined) return false;
  if (!FLAG.test(value)) throw invalidHeader(header, value, '`1` or `0`');
  return value === '1';
}

/**
 * Low-Latency HLS: a publish request with `X-Part-Index` carries one part of the segment named in
 * its path (docs/PROTOCOL.md); without it the request is a whole segment, as before.
 */
export function parsePartHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): PartHeaders | undefined {
  const raw = single(headers['x-part-index']);
  if (raw === undefined) return undefined;
  if (!PART_INDEX.test(raw)) throw invalidHeader('X-Part-Index', raw, 'an integer from 0 to 9999');
  const target = single(headers['x-part-target']);
  let declaredPartTarget: number | undefined;
  if (target !== undefined) {
    const parsed = DECIMAL.test(target) ? Number(target) : Number.NaN;
    if (!(parsed > 0 && parsed <= MAX_PART_TARGET)) throw invalidHeader('X-Part-Target', target, `a decimal number of seconds in (0, ${MAX_PART_TARGET}]`);
    declaredPartTarget = parsed;
  }
  return { index: Number(raw), independent: flag(headers, 'X-Independent'), end: flag(headers, 'X-Segment-End'), declaredPartTarget };
}

export interface BlockingRequest {
  readonly msn: number;
  readonly part: number | undefined;
}

const COUNT = /^\d{1,15}$/;

/** `_HLS_msn` / `_HLS_part` of a playlist request (RFC 8216bis 6.2.5.2); undefined for a plain request. */
export function parseBlockingQuery(query: Readonly<Record<string, string | string[] | undefined>>): BlockingRequest | undefined {
  const msn = single(query._HLS_msn);
  const part = single(query._HLS_part);
  if (msn === undefined) {
    if (part !== undefined) throw new StreamerError('INVALID_BLOCKING_REQUEST', '`_HLS_part` needs `_HLS_msn`.', { part: part.slice(0, 40) });
    return undefined;
  }
  if (!COUNT.test(msn)) throw new StreamerError('INVALID_BLOCKING_REQUEST', `Expected \`_HLS_msn\` to be a media sequence number, got \`${msn.slice(0, 40)}\`.`);
  if (part !== undefined && !COUNT.test(part)) throw new StreamerError('INVALID_BLOCKING_REQUEST', `Expected \`_HLS_part\` to be a part index, got \`${part.slice(0, 40)}\`.`);
  return { msn: Number(msn), part: part === undefined ? undefined : Number(part) };
}
