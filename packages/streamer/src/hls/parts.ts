// Low-Latency HLS on top of the window: segments built from parts, and the rules of blocking
// playlist reload (RFC 8216bis section 6.2.5.2). Pure, like the window: state in, state out.
import { StreamerError } from '../errors.js';
import {
  addSegment,
  hasSegment,
  roundedDuration,
  startsNewStream,
  targetFor,
  formatDuration,
  type AddResult,
  type OpenSegment,
  type Part,
  type WindowState,
} from './window.js';

export interface PartInput {
  /** The segment this part belongs to. */
  readonly segment: string;
  /** 0-based position in its segment. */
  readonly index: number;
  readonly duration: number;
  readonly independent: boolean;
  /** True on the last part of its segment: the segment is then closed and listed with EXTINF. */
  readonly end: boolean;
  readonly sessionId: string;
  /** Wall clock of the part's first frame; the first part's is the segment's program date-time. */
  readonly programDateTime: number;
  readonly declaredTarget?: number | undefined;
  /** The publisher's part target (X-Part-Target), if any. */
  readonly declaredPartTarget?: number | undefined;
}

export interface PartResult {
  readonly state: WindowState;
  /** Where the part is served: its segment's sequence and its index. */
  readonly sequence: number;
  readonly index: number;
  /** Segments closed by this request (an implicitly closed previous one, then this one). */
  readonly closed: readonly AddResult[];
}

/** Advance Part Limit of section 6.2.5.2: at most this far ahead (in seconds) may a request block. */
const ADVANCE_SECONDS = 3;

function partsDuration(parts: readonly Part[]): number {
  return parts.reduce((sum, p) => sum + p.duration, 0);
}

/** Lists the open segment's parts as a whole segment (nothing happens without one). */
export function closeOpenSegment(state: WindowState, now: number): AddResult | undefined {
  const open = state.open;
  if (!open || open.parts.length === 0) return undefined;
  const duration = Math.round(partsDuration(open.parts) * 1e6) / 1e6;
  return addSegment(
    { ...state, open: null },
    { name: open.name, duration, sessionId: open.sessionId, programDateTime: open.programDateTime, parts: open.parts, discontinuity: open.discontinuity },
    now,
  );
}

function refuse(code: 'PART_OUT_OF_ORDER' | 'PART_NOT_INDEPENDENT', message: string, details: Record<string, unknown>): never {
  throw new StreamerError(code, message, details);
}

/** Adds one part; throws (changing nothing) when the part does not fit. */
export function addPart(state: WindowState, input: PartInput, now: number): PartResult {
  const closed: AddResult[] = [];
  let current = state;
  let open = current.open ?? null;
  if (open && open.name !== input.segment) {
    if (input.index !== 0) {
      refuse('PART_OUT_OF_ORDER', `Part ${input.index} of \`${input.segment}\` arrived while \`${open.name}\` is open; a segment starts with part 0.`, {
        segment: input.segment,
        index: input.index,
      });
    }
    // The previous segment's last part never came (dropped by the publisher): list what arrived.
    const result = closeOpenSegment(current, now)!;
    closed.push(result);
    current = result.state;
    open = null;
  }
  if (open) {
    if (input.index !== open.parts.length) {
      refuse('PART_OUT_OF_ORDER', `Expected part ${open.parts.length} of \`${open.name}\`, got part ${input.index}; parts are published in order.`, {
        segment: open.name,
        index: input.index,
        expected: open.parts.length,
      });
    }
  } else {
    if (input.index !== 0) {
      refuse('PART_OUT_OF_ORDER', `Part ${input.index} of \`${input.segment}\` came first; a segment starts with part 0.`, {
        segment: input.segment,
        index: input.index,
        expected: 0,
      });
    }
    if (!input.independent) {
      refuse('PART_NOT_INDEPENDENT', `Part 0 of \`${input.segment}\` must start with a keyframe (X-Independent: 1).`, { segment: input.segment });
    }
    if (hasSegment(current, input.segment)) {
      throw new StreamerError('SEGMENT_EXISTS', `Segment \`${input.segment}\` is already published; name each segment once.`, { name: input.segment });
    }
  }

  const fresh = startsNewStream(current);
  const targetDuration = fresh
    ? targetFor(current, {
        name: input.segment,
        duration: input.duration,
        sessionId: input.sessionId,
        programDateTime: input.programDateTime,
        declaredTarget: input.declaredTarget,
      })
    : current.targetDuration!;
  const previous = current.segments.at(-1);
  const base: OpenSegment = open ?? {
    name: input.segment,
    sequence: current.nextSequence,
    sessionId: input.sessionId,
    programDateTime: input.programDateTime,
    discontinuity: previous !== undefined && (current.ended || previous.sessionId !== input.sessionId),
    parts: [],
  };
  const parts = [...base.parts, { duration: input.duration, independent: input.independent }];
  const rounded = roundedDuration(partsDuration(parts));
  if (rounded > targetDuration) {
    throw new StreamerError(
      'SEGMENT_TOO_LONG',
      `Segment \`${input.segment}\` would last ${formatDuration(partsDuration(parts))} s with part ${input.index}, over the stream's target duration of ${targetDuration} s; close it sooner (X-Segment-End).`,
      { duration: partsDuration(parts), targetDuration },
    );
  }
  // The part target is fixed per stream; a longer part raises it, since no part may exceed it.
  const declared = fresh || current.partTarget == null ? (input.declaredPartTarget ?? input.duration) : current.partTarget;
  current = {
    ...current,
    open: { ...base, parts },
    partTarget: Math.max(declared, input.duration),
    targetDuration,
    ended: false,
    version: current.version + 1,
  };
  if (input.end) {
    const result = closeOpenSegment(current, now)!;
    closed.push(result);
    current = result.state;
  }
  return { state: current, sequence: base.sequence, index: input.index, closed };
}

/** True when the playlist holds part `part` of segment `msn` (the whole segment without a part), or anything later. */
export function hasReached(state: WindowState, msn: number, part?: number): boolean {
  if (state.ended || msn < state.nextSequence) return true;
  const open = state.open;
  return part !== undefined && open != null && open.sequence === msn && part < open.parts.length;
}

/** Refuses, per section 6.2.5.2, a blocking request too far ahead of the live edge. */
export function checkBlockingRequest(state: WindowState, msn: number, part?: number): void {
  const last = state.nextSequence - 1;
  if (msn > last + 2) {
    throw new StreamerError('INVALID_BLOCKING_REQUEST', `_HLS_msn=${msn} is more than two segments past the last one (${last}).`, { msn, last });
  }
  const open = state.open;
  const partTarget = state.partTarget;
  if (part !== undefined && open && open.sequence === msn && partTarget) {
    const limit = open.parts.length - 1 + Math.ceil(ADVANCE_SECONDS / partTarget);
    if (part > limit) {
      throw new StreamerError('INVALID_BLOCKING_REQUEST', `_HLS_part=${part} is past the Advance Part Limit (${limit}) of segment ${msn}.`, {
        msn,
        part,
        limit,
      });
    }
  }
}

/** The next part the publisher will send, for EXT-X-PRELOAD-HINT; none without parts or after the end. */
export function preloadHint(state: WindowState): { sequence: number; index: number } | undefined {
  if (state.ended || state.partTarget == null) return undefined;
  const open = state.open;
  if (open) return { sequence: open.sequence, index: open.parts.length };
  return state.segments.at(-1)?.parts ? { sequence: state.nextSequence, index: 0 } : undefined;
}

/** Whether a request for a part that does not exist yet may wait for it: only for the hinted one. */
export function mayArrive(state: WindowState, sequence: number, index: number): boolean {
  const hint = preloadHint(state);
  return hint !== undefined && hint.sequence === sequence && hint.index === index;
}
