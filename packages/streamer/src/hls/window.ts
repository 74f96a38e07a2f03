// The rolling window of a live HLS stream as a pure state machine: every function takes a state
// and returns a new one, so a refused segment cannot leave half a change behind, and the state
// is plain JSON (it can be written to disk and read back by a later restore).
import { StreamerError } from '../errors.js';

export interface WindowConfig {
  /** How many segments the playlist lists. */
  readonly size: number;
  /** A target duration fixed by the operator; otherwise each stream takes the publisher's. */
  readonly targetDuration?: number | undefined;
}

export interface SegmentInput {
  readonly name: string;
  /** Exact duration in seconds. */
  readonly duration: number;
  readonly sessionId: string;
  /** Wall clock of the first frame, epoch milliseconds. */
  readonly programDateTime: number;
  /** The publisher's declared target duration (X-Target-Duration), if any. */
  readonly declaredTarget?: number | undefined;
  /** Set when the segment is assembled from parts. */
  readonly parts?: readonly Part[] | undefined;
  /** Decided when its first part opened it (the stream may have reopened since). */
  readonly discontinuity?: boolean | undefined;
}

/** A Low-Latency HLS partial segment; its URI is derived from its segment's sequence and its index. */
export interface Part {
  /** Exact duration in seconds. */
  readonly duration: number;
  /** True when the part starts with a keyframe (EXT-X-PART INDEPENDENT=YES). */
  readonly independent: boolean;
}

// A record per segment; `parts` is there while its EXT-X-PART lines are still listed.
export interface Segment {
  readonly name: string;
  readonly duration: number;
  readonly sequence: number;
  readonly sessionId: string;
  readonly programDateTime: number;
  /** True when this segment starts a new publisher session or reopens an ended stream. */
  readonly discontinuity: boolean;
  /** The parts it was built from, while they are listed (the last PARTS_LISTED segments). */
  readonly parts?: readonly Part[];
}

/** The segment whose parts are arriving: listed as parts only, after the last EXTINF. */
export interface OpenSegment {
  readonly name: string;
  /** The media sequence number it will have: always the window's nextSequence. */
  readonly sequence: number;
  readonly sessionId: string;
  readonly programDateTime: number;
  readonly discontinuity: boolean;
  readonly parts: readonly Part[];
}

export interface RetiringSegment {
  readonly name: string;
  readonly sequence: number;
  /** Epoch ms after which no client can still need it (RFC 8216 section 6.2.2). */
  readonly deleteAt: number;
  /** Set for a part (name `<sequence>.<index>.ts`, served under `parts/`), which lives in memory only. */
  readonly part?: true;
}

export interface WindowState {
  readonly config: WindowConfig;
  readonly segments: readonly Segment[];
  readonly retiring: readonly RetiringSegment[];
  /** Sequence number of the first listed segment; only grows. */
  readonly mediaSequence: number;
  /** Number of discontinuities that slid out of the window. */
  readonly discontinuitySequence: number;
  readonly nextSequence: number;
  /** Null until the first segment fixes it. */
  readonly targetDuration: number | null;
  readonly ended: boolean;
  /** Bumped on every change of what the playlist shows, so renders can be cached. */
  readonly version: number;
  /** Low-Latency HLS: the segment being built from parts (absent in states saved before parts existed). */
  readonly open?: OpenSegment | null;
  /** Low-Latency HLS: the part target duration, fixed by the first part of a stream; null without parts. */
  readonly partTarget?: number | null;
}

/** How many complete segments keep their EXT-X-PART lines (plus the open one: within 3 target durations). */
export const PARTS_LISTED = 2;

export function partName(sequence: number, index: number): string {
  return `${sequence}.${index}.ts`;
}

/**
 * A part's file name in its URL, `<epoch>.<sequence>.<index>.ts`: the epoch (random per streamer run)
 * makes the URL name one set of bytes forever, though a restart or a wiped media folder reuses
 * sequence numbers, so caches may keep parts as long as segments.
 */
export function partFileName(epoch: string, sequence: number, index: number): string {
  return `${epoch}.${partName(sequence, index)}`;
}

export function createWindow(config: WindowConfig): WindowState {
  return {
    config,
    segments: [],
    retiring: [],
    mediaSequence: 0,
    discontinuitySequence: 0,
    nextSequence: 0,
    targetDuration: null,
    ended: false,
    version: 0,
    open: null,
    partTarget: null,
  };
}

/** The EXTINF text of a duration; the rounding rule applies to what clients read, not to the float. */
export function formatDuration(duration: number): string {
  return duration.toFixed(3);
}

/** What RFC 8216 4.3.3.1 compares with the target duration. */
export function roundedDuration(duration: number): number {
  return Math.round(Number(formatDuration(duration)));
}

export function hasSegment(state: WindowState, name: string): boolean {
  return state.segments.some((s) => s.name === name) || state.retiring.some((s) => !s.part && s.name === name) || state.open?.name === name;
}

export function startsNewStream(state: WindowState): boolean {
  return state.targetDuration === null || state.ended;
}

/** The target a segment is checked against: the live one, or the one its arrival would fix. */
export function targetFor(state: WindowState, input: SegmentInput): number {
  if (!startsNewStream(state) && state.targetDuration !== null) return state.targetDuration;
  const declared = state.config.targetDuration ?? input.declaredTarget ?? Math.max(1, Math.ceil(input.duration));
  // Segments of the previous stream stay listed, and they too must fit the new target.
  const listed = state.segments.map((s) => roundedDuration(s.duration));
  return Math.max(declared, ...listed);
}

/** Throws the error `addSegment` would throw, without changing anything. */
export function checkSegment(state: WindowState, input: SegmentInput): void {
  if (hasSegment(state, input.name)) {
    throw new StreamerError('SEGMENT_EXISTS', `Segment \`${input.name}\` is already published; name each segment once.`, { name: input.name });
  }
  const target = targetFor(state, input);
  const rounded = roundedDuration(input.duration);
  if (rounded > target) {
    throw new StreamerError(
      'SEGMENT_TOO_LONG',
      `Segment duration ${formatDuration(input.duration)} s rounds to ${rounded} s, over the stream's target duration of ${target} s; ` +
        `cut shorter segments (keyframe interval and --segment-seconds) or start the streamer with a larger --target-duration.`,
      { duration: input.duration, targetDuration: target },
    );
  }
}

function playlistDuration(segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + s.duration, 0);
}

export interface AddResult {
  readonly state: WindowState;
  readonly segment: Segment;
  /** Segments that slid out with this add: still fetchable until their deleteAt. */
  readonly retired: readonly RetiringSegment[];
}

export function addSegment(state: WindowState, input: SegmentInput, now: number): AddResult {
  checkSegment(state, input);
  const targetDuration = targetFor(state, input);
  const previous = state.segments.at(-1);
  const segment: Segment = {
    name: input.name,
    duration: input.duration,
    sequence: state.nextSequence,
    sessionId: input.sessionId,
    programDateTime: input.programDateTime,
    discontinuity: input.discontinuity ?? (previous !== undefined && (state.ended || previous.sessionId !== input.sessionId)),
    ...(input.parts ? { parts: input.parts } : {}),
  };
  // Parts are listed for the last few segments only; older ones stay fetchable for 3 target durations.
  const partsDeleteAt = now + 3 * targetDuration * 1000;
  const retiredParts: RetiringSegment[] = [];
  const all = [...state.segments, segment].map((s, i, list) => {
    if (!s.parts || i >= list.length - PARTS_LISTED) return s;
    retiredParts.push(
      ...s.parts.map((_, index) => ({ name: partName(s.sequence, index), sequence: s.sequence, deleteAt: partsDeleteAt, part: true as const })),
    );
    const { parts: _parts, ...whole } = s;
    return whole;
  });
  const removed = all.slice(0, Math.max(0, all.length - state.config.size));
  // The longest playlist that listed a removed segment is the one before this add.
  const listedFor = playlistDuration(state.segments);
  const retired = removed.map((s) => ({
    name: s.name,
    sequence: s.sequence,
    deleteAt: now + Math.ceil((s.duration + listedFor) * 1000),
  }));
  const segments = all.slice(removed.length);
  return {
    segment,
    retired,
    state: {
      ...state,
      segments,
      retiring: [...state.retiring, ...retired, ...retiredParts],
      mediaSequence: segments[0]?.sequence ?? segment.sequence,
      discontinuitySequence: state.discontinuitySequence + removed.filter((s) => s.discontinuity).length,
      nextSequence: state.nextSequence + 1,
      targetDuration,
      ended: false,
      version: state.version + 1,
      open: null,
    },
  };
}

export function endStream(state: WindowState): WindowState {
  if (state.ended) return state;
  return { ...state, ended: true, version: state.version + 1 };
}

/** Splits off the retiring segments whose time is up; the caller deletes their files. */
export function expired(state: WindowState, now: number): { state: WindowState; deletable: readonly RetiringSegment[] } {
  const deletable = state.retiring.filter((s) => s.deleteAt <= now);
  if (deletable.length === 0) return { state, deletable };
  return { state: { ...state, retiring: state.retiring.filter((s) => s.deleteAt > now) }, deletable };
}

/** When the next retiring segment becomes deletable, for the owner's single timer. */
export function nextDeletion(state: WindowState): number | undefined {
  if (state.retiring.length === 0) return undefined;
  return Math.min(...state.retiring.map((s) => s.deleteAt));
}

export function lastSequence(state: WindowState): number | null {
  return state.nextSequence === 0 ? null : state.nextSequence - 1;
}
