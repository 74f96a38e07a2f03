// Text out of state in: the live media playlist, rendered from the window alone.
import { preloadHint } from './parts.js';
import { formatDuration, partFileName, partName, type OpenSegment, type Part, type Segment, type WindowState } from './window.js';

export interface RenderOptions {
  /** Prefix of every segment URI, relative to the playlist. Default `segments/`. */
  readonly segmentPrefix?: string;
  /** Target duration shown before any segment fixed one. Default 2. */
  readonly emptyTargetDuration?: number;
  /** Prefix of every part URI. Default `parts/`. */
  readonly partPrefix?: string;
  /** The run's part epoch, in every part URI (`<epoch>.<msn>.<index>.ts`); LiveStream always passes one. */
  readonly partEpoch?: string;
}

// Version 3 is the lowest that allows decimal EXTINF values. The Low-Latency tags used here
// (EXT-X-PART, -PART-INF, -SERVER-CONTROL, -PRELOAD-HINT) need no higher version in RFC 8216bis
// section 8 (version 9 is for EXT-X-SKIP, not sent), and older players keep reading the playlist.
const VERSION = 3;

/** Milliseconds, rounded up: PART-TARGET must be at least every part's duration as written. */
function ceilSeconds(seconds: number): string {
  return (Math.ceil(Math.round(seconds * 1e6) / 1e3) / 1e3).toFixed(3);
}

/** A part's URI: `<prefix>[<epoch>.]<msn>.<index>.ts`. */
type PartUri = (sequence: number, index: number) => string;

function partLines(sequence: number, parts: readonly Part[], uri: PartUri): string[] {
  return parts.map(
    (part, index) => `#EXT-X-PART:DURATION=${formatDuration(part.duration)},URI="${uri(sequence, index)}"${part.independent ? ',INDEPENDENT=YES' : ''}`,
  );
}

// The segment's own tags come before its parts: a parser applies them to the parent segment.
function headLines(segment: Segment | OpenSegment): string[] {
  const lines: string[] = [];
  if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`);
  return lines;
}

function segmentLines(segment: Segment, prefix: string, partUri: PartUri): string[] {
  return [
    ...headLines(segment),
    ...partLines(segment.sequence, segment.parts ?? [], partUri),
    `#EXTINF:${formatDuration(segment.duration)},`,
    `${prefix}${segment.name}`,
  ];
}

function lowLatencyLines(state: WindowState): string[] {
  const listsParts = (state.open?.parts.length ?? 0) > 0 || state.segments.some((s) => s.parts);
  if (!listsParts || state.partTarget == null) return [];
  const partTarget = ceilSeconds(state.partTarget);
  return [
    // Three part targets behind the live edge: the least hold-back RFC 8216bis recommends.
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${ceilSeconds(3 * Number(partTarget))}`,
    `#EXT-X-PART-INF:PART-TARGET=${partTarget}`,
  ];
}

export function renderPlaylist(state: WindowState, options: RenderOptions = {}): string {
  const prefix = options.segmentPrefix ?? 'segments/';
  const partPrefix = options.partPrefix ?? 'parts/';
  const epoch = options.partEpoch;
  const partUri: PartUri = (sequence, index) => partPrefix + (epoch === undefined ? partName(sequence, index) : partFileName(epoch, sequence, index));
  const target = state.targetDuration ?? state.config.targetDuration ?? options.emptyTargetDuration ?? 2;
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${VERSION}`,
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${state.mediaSequence}`,
    // Always present: a publisher restart can add a discontinuity at any moment.
    `#EXT-X-DISCONTINUITY-SEQUENCE:${state.discontinuitySequence}`,
  ];
  const lowLatency = lowLatencyLines(state);
  lines.push(...lowLatency);
  for (const segment of state.segments) lines.push(...segmentLines(segment, prefix, partUri));
  const open = state.open;
  if (open && open.parts.length > 0) lines.push(...headLines(open), ...partLines(open.sequence, open.parts, partUri));
  const hint = lowLatency.length > 0 ? preloadHint(state) : undefined;
  if (hint) lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${partUri(hint.sequence, hint.index)}"`);
  if (state.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
