// Low-Latency HLS parts (docs/PROTOCOL.md, "Low-Latency HLS: publishing parts"): a part is posted
// like a segment, to its segment's name with the part's duration, plus these headers. The
// presence of X-Part-Index is what makes a request a part.
import { decimal, headerValue, invalidHeader, type HeaderBag } from './headers.js';
import { formatSeconds } from './publish.js';

export const PART_HEADERS = {
  index: 'X-Part-Index',
  target: 'X-Part-Target',
  independent: 'X-Independent',
  segmentEnd: 'X-Segment-End',
} as const;

/** Largest X-Part-Target, in seconds. */
export const MAX_PART_TARGET = 10;
/** Largest X-Part-Index. */
export const MAX_PART_INDEX = 9999;
/** Largest part body the streamer takes (413 `BODY_TOO_LARGE` past it); 16 MiB is 0.2 s at 640 Mbit/s. */
export const MAX_PART_BYTES = 16 * 1024 * 1024;

/** Where a part belongs: what the publisher's segmenter knows and the part headers carry. */
export interface PartOf {
  /** Name of the segment the streamer builds from its parts. */
  readonly segment: string;
  /** Position in the segment, from 0. */
  readonly index: number;
  /** The part starts with a keyframe (required of part 0). */
  readonly independent: boolean;
  /** The last part of its segment. */
  readonly end: boolean;
  /** The part target duration in seconds. */
  readonly target: number;
}

/** What the streamer reads from the part headers. */
export interface PartHeaders {
  readonly index: number;
  readonly independent: boolean;
  readonly end: boolean;
  readonly declaredPartTarget: number | undefined;
}

const PART_INDEX = /^\d{1,4}$/;
const FLAG = /^[01]$/;

/** The part headers, lower-case names; flags are sent only when set. */
export function partHeaders(part: PartOf): Record<string, string> {
  return {
    [PART_HEADERS.index.toLowerCase()]: String(part.index),
    // Six decimals: a target of 1/3 s is sent as 0.333333, as the segmenter computes it.
    [PART_HEADERS.target.toLowerCase()]: formatSeconds(Number(part.target.toFixed(6))),
    ...(part.independent ? { [PART_HEADERS.independent.toLowerCase()]: '1' } : {}),
    ...(part.end ? { [PART_HEADERS.segmentEnd.toLowerCase()]: '1' } : {}),
  };
}

function flag(headers: HeaderBag, header: string): boolean {
  const value = headerValue(headers, header);
  if (value === undefined) return false;
  if (!FLAG.test(value)) throw invalidHeader(header, value, '`1` or `0`');
  return value === '1';
}

/** The part headers of a publish request; undefined without X-Part-Index (a whole segment). */
export function parsePartHeaders(headers: HeaderBag): PartHeaders | undefined {
  const raw = headerValue(headers, PART_HEADERS.index);
  if (raw === undefined) return undefined;
  if (!PART_INDEX.test(raw)) throw invalidHeader(PART_HEADERS.index, raw, `an integer from 0 to ${MAX_PART_INDEX}`);
  const target = headerValue(headers, PART_HEADERS.target);
  let declaredPartTarget: number | undefined;
  if (target !== undefined) {
    const parsed = decimal(target);
    if (!(parsed > 0 && parsed <= MAX_PART_TARGET)) throw invalidHeader(PART_HEADERS.target, target, `a decimal number of seconds in (0, ${MAX_PART_TARGET}]`);
    declaredPartTarget = parsed;
  }
  return { index: Number(raw), independent: flag(headers, PART_HEADERS.independent), end: flag(headers, PART_HEADERS.segmentEnd), declaredPartTarget };
}
