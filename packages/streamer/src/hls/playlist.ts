// Text out of state in: the live media playlist, rendered from the window alone.
import { formatDuration, type Segment, type WindowState } from './window.js';

export interface RenderOptions {
  /** Prefix of every segment URI, relative to the playlist. Default `segments/`. */
  readonly segmentPrefix?: string;
  /** Target duration shown before any segment fixed one. Default 2. */
  readonly emptyTargetDuration?: number;
}

// Version 3 is the lowest that allows decimal EXTINF values; nothing else used needs more.
const VERSION = 3;

function segmentLines(segment: Segment, prefix: string): string[] {
  const lines: string[] = [];
  if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
  lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.programDateTime).toISOString()}`);
  lines.push(`#EXTINF:${formatDuration(segment.duration)},`);
  lines.push(`${prefix}${segment.name}`);
  return lines;
}

export function renderPlaylist(state: WindowState, options: RenderOptions = {}): string {
  const prefix = options.segmentPrefix ?? 'segments/';
  const target = state.targetDuration ?? state.config.targetDuration ?? options.emptyTargetDuration ?? 2;
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${VERSION}`,
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${state.mediaSequence}`,
    // Always present: a publisher restart can add a discontinuity at any moment.
    `#EXT-X-DISCONTINUITY-SEQUENCE:${state.discontinuitySequence}`,
  ];
  for (const segment of state.segments) lines.push(...segmentLines(segment, prefix));
  if (state.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
