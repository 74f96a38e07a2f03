// Publishing whole segments and ending the stream (docs/PROTOCOL.md, "Publishing a segment",
// "Ending the stream"): the paths and headers the publisher builds, and the parsers the streamer
// checks them with. Pure, so every rule is tested as a table and both sides as a round trip.
import { authHeaders } from './auth.js';
import { ProtocolError } from './errors.js';
import { decimal, headerValue, invalidHeader, type HeaderBag } from './headers.js';

/** Every publish request's path starts with this. */
export const PUBLISH_PREFIX = '/publish/';
export const PUBLISH_END_PATH = '/publish/end';
/** Content type of a segment (or part) body. */
export const SEGMENT_CONTENT_TYPE = 'video/mp2t';

export const PUBLISH_HEADERS = {
  session: 'X-Publisher-Session',
  programDateTime: 'X-Program-Date-Time',
  targetDuration: 'X-Target-Duration',
} as const;

/** Longest segment accepted, in seconds. */
export const MAX_SEGMENT_SECONDS = 30;
/** Largest `X-Target-Duration` (and `--target-duration` of the streamer), in seconds. */
export const MAX_TARGET_DURATION = 30;
/** Session used when a publisher sends no X-Publisher-Session (e.g. a hand-made curl upload). */
export const ANONYMOUS_SESSION = 'anonymous';

const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const SESSION = /^[A-Za-z0-9_-]{1,64}$/;
const TARGET = /^\d{1,2}$/;
// ISO 8601 date-time with an explicit zone, as Date#toISOString and RFC 3339 write it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

/** A plain name of 1-128 characters [A-Za-z0-9._-] ending in `.ts`, not starting with `.`, without `..`. */
export function isSegmentName(name: string): boolean {
  return NAME.test(name) && name.endsWith('.ts') && !name.startsWith('.') && !name.includes('..');
}

/** 1-64 characters [A-Za-z0-9_-]. */
export function isSessionId(value: string): boolean {
  return SESSION.test(value);
}

/** A decimal as the contract writes seconds: plain digits, never an exponent (`1e-7` is not a duration). */
export function formatSeconds(seconds: number): string {
  const text = String(seconds);
  return /e/i.test(text) ? seconds.toFixed(9).replace(/\.?0+$/, '') : text;
}

/** Checks an already decoded name. */
export function parseSegmentName(name: string): string {
  if (!isSegmentName(name)) {
    throw new ProtocolError(
      'INVALID_SEGMENT_NAME',
      'Segment name must be a plain name of 1-128 characters [A-Za-z0-9._-] ending in `.ts`, not starting with `.` and without `..`.',
      { name: name.slice(0, 200) },
    );
  }
  return name;
}

export function parseDuration(raw: string): number {
  const value = decimal(raw);
  if (!(Number.isFinite(value) && value > 0 && value <= MAX_SEGMENT_SECONDS)) {
    throw new ProtocolError(
      'INVALID_DURATION',
      `Segment duration must be a decimal number of seconds in (0, ${MAX_SEGMENT_SECONDS}], got \`${raw.slice(0, 40)}\`.`,
      { duration: raw.slice(0, 40) },
    );
  }
  return value;
}

/** `POST /publish/:file/:duration` for a segment (or, under its segment's name, a part). */
export function publishPath(name: string, duration: number): string {
  return `${PUBLISH_PREFIX}${encodeURIComponent(name)}/${formatSeconds(duration)}`;
}

/** Splits the raw (still percent-encoded) path after `/publish/` into name and duration. */
export function parsePublishPath(rest: string): { name: string; duration: number } {
  const slash = rest.lastIndexOf('/');
  let name: string;
  try {
    name = decodeURIComponent(slash === -1 ? rest : rest.slice(0, slash));
  } catch {
    throw new ProtocolError('INVALID_SEGMENT_NAME', 'Segment name is not valid percent-encoding.');
  }
  parseSegmentName(name);
  if (slash === -1) throw new ProtocolError('INVALID_DURATION', 'Missing duration: POST /publish/<file>/<seconds>.');
  return { name, duration: parseDuration(rest.slice(slash + 1)) };
}

export interface SegmentHeadersInput {
  readonly session: string;
  /** Wall clock when the segment's (or part's) first frame was captured. */
  readonly programDateTime: Date;
  /** The session's declared target duration: ceil(--segment-seconds). */
  readonly targetDuration: number;
  readonly token?: string | undefined;
}

/** The headers of a segment (or part) upload, lower-case names as an HTTP client sends them. */
export function segmentHeaders(input: SegmentHeadersInput): Record<string, string> {
  return {
    ...endHeaders(input.session, input.token),
    'content-type': SEGMENT_CONTENT_TYPE,
    [PUBLISH_HEADERS.programDateTime.toLowerCase()]: input.programDateTime.toISOString(),
    [PUBLISH_HEADERS.targetDuration.toLowerCase()]: String(input.targetDuration),
  };
}

/** The headers of `POST /publish/end` (and the session and token part of every publish request). */
export function endHeaders(session: string, token: string | undefined): Record<string, string> {
  return { [PUBLISH_HEADERS.session.toLowerCase()]: session, ...authHeaders(token) };
}

export interface PublishHeaders {
  readonly sessionId: string;
  readonly programDateTime: number;
  readonly declaredTarget: number | undefined;
}

export function parseSessionHeader(headers: HeaderBag): string {
  const value = headerValue(headers, PUBLISH_HEADERS.session);
  if (value === undefined) return ANONYMOUS_SESSION;
  if (!isSessionId(value)) throw invalidHeader(PUBLISH_HEADERS.session, value, '1-64 characters [A-Za-z0-9_-]');
  return value;
}

/**
 * Reads the optional publish headers. Without X-Program-Date-Time the segment is taken to have
 * started `duration` seconds before it arrived.
 */
export function parsePublishHeaders(headers: HeaderBag, duration: number, now: number): PublishHeaders {
  const sessionId = parseSessionHeader(headers);
  const pdt = headerValue(headers, PUBLISH_HEADERS.programDateTime);
  let programDateTime = now - Math.round(duration * 1000);
  if (pdt !== undefined) {
    const parsed = DATE_TIME.test(pdt) ? Date.parse(pdt) : Number.NaN;
    if (!Number.isFinite(parsed)) throw invalidHeader(PUBLISH_HEADERS.programDateTime, pdt, 'an ISO 8601 date-time such as 2024-01-31T12:00:00.000Z');
    programDateTime = parsed;
  }
  const target = headerValue(headers, PUBLISH_HEADERS.targetDuration);
  let declaredTarget: number | undefined;
  if (target !== undefined) {
    const parsed = TARGET.test(target) ? Number(target) : Number.NaN;
    if (!(parsed >= 1 && parsed <= MAX_TARGET_DURATION)) {
      throw invalidHeader(PUBLISH_HEADERS.targetDuration, target, `an integer from 1 to ${MAX_TARGET_DURATION}`);
    }
    declaredTarget = parsed;
  }
  return { sessionId, programDateTime, declaredTarget };
}
