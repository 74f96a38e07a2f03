// Named streams (docs/PROTOCOL.md, "Streams"): one streamer holds many, each under
// `/live/<name>/`. A publish names its stream with the `X-Stream` header (on segment and part
// uploads, `/publish/end` and the preview WebSocket upgrade); without it, it publishes `default`,
// whose paths are also the streamer's original ones (`/stream.m3u8`, `/mjpeg`...).
import { ProtocolError } from './errors.js';
import { headerValue, invalidHeader, type HeaderBag } from './headers.js';

/** The stream a publish without `X-Stream` goes to; also served at the original paths. */
export const DEFAULT_STREAM = 'default';
/** Names the stream of a publish request or preview connection. */
export const STREAM_HEADER = 'X-Stream';
/** Query parameter naming the stream on the preview WebSocket upgrade, for clients that cannot set headers (browsers). */
export const STREAM_QUERY = 'stream';
/** Every stream's URLs start with this, then its name. */
export const LIVE_PREFIX = '/live/';
export const MAX_STREAM_NAME_LENGTH = 64;

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** 1-64 characters of [a-z0-9_-], starting with a letter or digit. */
export function isStreamName(value: string): boolean {
  return NAME.test(value);
}

/** Checks a name; throws INVALID_STREAM_NAME (400). */
export function parseStreamName(value: string): string {
  if (!isStreamName(value)) {
    throw new ProtocolError(
      'INVALID_STREAM_NAME',
      `A stream name is 1-${MAX_STREAM_NAME_LENGTH} characters of [a-z0-9_-] starting with a letter or digit, got \`${value.slice(0, 80)}\`.`,
      { stream: value.slice(0, 80) },
    );
  }
  return value;
}

/** The stream named by a request's `X-Stream` header; `default` without one. */
export function parseStreamHeader(headers: HeaderBag): string {
  const value = headerValue(headers, STREAM_HEADER);
  return value === undefined ? DEFAULT_STREAM : parseStreamName(value);
}

/** The `X-Stream` header of a publish to `stream` (lower-case name); none for `default`, so its requests stay as they were. */
export function streamHeaders(stream: string | undefined): Record<string, string> {
  return stream === undefined || stream === DEFAULT_STREAM ? {} : { [STREAM_HEADER.toLowerCase()]: stream };
}

/** The viewer paths of a stream, all under `/live/<name>/`. */
export interface StreamPaths {
  /** `/live/<name>/`: the folder, with a trailing slash. */
  readonly base: string;
  readonly playlist: string;
  readonly mjpeg: string;
  readonly snapshot: string;
  /** WebRTC playback (WHEP), where the streamer has it. */
  readonly whep: string;
}

export function streamPaths(stream: string): StreamPaths {
  const base = `${LIVE_PREFIX}${parseStreamName(stream)}/`;
  return { base, playlist: `${base}stream.m3u8`, mjpeg: `${base}mjpeg`, snapshot: `${base}snapshot.jpg`, whep: `${base}whep` };
}

/**
 * Splits a request path under `/live/`: `/live/cam1/stream.m3u8` -> `{ stream: 'cam1', rest: '/stream.m3u8' }`.
 * Undefined for a path elsewhere; the name is not checked here (the caller answers 400 or 404).
 */
export function splitLivePath(path: string): { stream: string; rest: string } | undefined {
  if (!path.startsWith(LIVE_PREFIX)) return undefined;
  const slash = path.indexOf('/', LIVE_PREFIX.length);
  if (slash === -1) return { stream: path.slice(LIVE_PREFIX.length), rest: '' };
  return { stream: path.slice(LIVE_PREFIX.length, slash), rest: path.slice(slash) };
}

/** On the preview WebSocket upgrade: the publisher captures on demand and wants capture messages. */
export const ON_DEMAND_HEADER = 'X-On-Demand';

/** What a preview WebSocket upgrade says about its publisher. */
export interface PreviewUpgrade {
  readonly stream: string;
  /** `X-On-Demand: 1`: the publisher waits with capture off until told someone watches. */
  readonly onDemand: boolean;
  /** `X-Target-Duration`, declared before any segment (how long a first playlist request may wait for one). */
  readonly targetDuration: number | undefined;
}

/** Reads the upgrade request's headers (and `?stream=` of its URL); throws INVALID_STREAM_NAME or INVALID_HEADER. */
export function parsePreviewUpgrade(headers: HeaderBag, url: string): PreviewUpgrade {
  const query = url.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)).get(STREAM_QUERY) : null;
  const stream = query === null ? parseStreamHeader(headers) : parseStreamName(query);
  const onDemand = headerValue(headers, ON_DEMAND_HEADER);
  if (onDemand !== undefined && onDemand !== '1' && onDemand !== '0') throw invalidHeader(ON_DEMAND_HEADER, onDemand, '`1` or `0`');
  const target = headerValue(headers, 'X-Target-Duration');
  const seconds = target !== undefined && /^\d{1,2}$/.test(target) ? Number(target) : undefined;
  if (target !== undefined && !(seconds !== undefined && seconds >= 1 && seconds <= 30))
    throw invalidHeader('X-Target-Duration', target, 'an integer from 1 to 30');
  return { stream, onDemand: onDemand === '1', targetDuration: seconds };
}

/** The headers of a preview upgrade for `stream` (none for a plain `default` publisher, as before). */
export function previewUpgradeHeaders(input: {
  stream?: string | undefined;
  onDemand?: boolean | undefined;
  targetDuration?: number | undefined;
}): Record<string, string> {
  return {
    ...streamHeaders(input.stream),
    ...(input.onDemand ? { [ON_DEMAND_HEADER.toLowerCase()]: '1' } : {}),
    ...(input.onDemand && input.targetDuration !== undefined ? { 'x-target-duration': String(input.targetDuration) } : {}),
  };
}

/**
 * Streamer -> an on-demand publisher, text: `{"capture": true}` when someone starts watching its
 * stream (a playlist, segment, part, MJPEG or WebRTC request), `{"capture": false}` once nobody
 * has for a while. Sent on connect and on every change; the publisher stops capture its own
 * `--idle-seconds` after `false`.
 */
export function encodeCaptureMessage(watched: boolean): string {
  return JSON.stringify({ capture: watched });
}

/** The `capture` of a text message; undefined for any other message. */
export function parseCaptureMessage(text: string): boolean | undefined {
  try {
    const message = JSON.parse(text) as { capture?: unknown } | null;
    return typeof message?.capture === 'boolean' ? message.capture : undefined;
  } catch {
    return undefined;
  }
}
