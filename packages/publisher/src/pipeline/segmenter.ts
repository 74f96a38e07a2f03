// Turns the encoder's csv segment list into finished segments with exact durations and the
// wall-clock time their first frame was captured (their program date-time).
import { join } from 'node:path';
import type { PartOf } from '@hls-live/protocol';

export interface SegmentListEntry {
  name: string;
  start: number;
  end: number;
}

/** One line of ffmpeg's csv segment list: `name,start,end` (name quoted when it needs it). */
export function parseSegmentListLine(line: string): SegmentListEntry | undefined {
  const text = line.trim();
  if (!text) return undefined;
  let name: string;
  let rest: string;
  if (text.startsWith('"')) {
    // csv quoting: the name ends at a quote not followed by another quote.
    const m = /^"((?:[^"]|"")*)",(.*)$/.exec(text);
    if (!m) return undefined;
    name = m[1]!.replace(/""/g, '"');
    rest = m[2]!;
  } else {
    const comma = text.indexOf(',');
    if (comma <= 0) return undefined;
    name = text.slice(0, comma);
    rest = text.slice(comma + 1);
  }
  const parts = rest.split(',');
  if (parts.length !== 2) return undefined;
  const [start, end] = parts.map((p) => (/^-?\d+(\.\d+)?$/.test(p) ? Number(p) : NaN)) as [number, number];
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start || start < 0) return undefined;
  return { name, start, end };
}

/** Capture times of recent frames by index, in a fixed-size ring (no growth over a long run). */
export interface CaptureClock {
  record(index: number, time: number): void;
  /** The capture time of frame `index`, estimated from the latest frame if it left the ring. */
  timeOf(index: number): number | undefined;
}

export function createCaptureClock(capacity: number, fps: number): CaptureClock {
  const indexes = new Float64Array(capacity).fill(-1);
  const times = new Float64Array(capacity);
  let latest = -1;
  return {
    record(index, time) {
      const slot = index % capacity;
      indexes[slot] = index;
      times[slot] = time;
      if (index > latest) latest = index;
    },
    timeOf(index) {
      const slot = index % capacity;
      if (index >= 0 && indexes[slot] === index) return times[slot];
      if (latest < 0) return undefined;
      return times[latest % capacity]! - ((latest - index) * 1000) / fps;
    },
  };
}

export interface Segment {
  /** File name, e.g. `pabc-00003.ts`. */
  name: string;
  /** Full path of the local file. */
  path: string;
  /** Start in seconds since the first frame. */
  start: number;
  /** Exact duration in seconds, from the segment list. */
  duration: number;
  /** Wall clock when the segment's (or part's) first frame was captured. */
  programDateTime: Date;
  /** Set when this file is a Low-Latency HLS part of a segment rather than a whole segment: what the part headers carry. */
  part?: PartOf;
}

export interface SegmenterOptions {
  dir: string;
  fps: number;
  clock: CaptureClock;
  /** Low-Latency HLS: each listed file is a part; this many make a segment. */
  parts?: { perSegment: number; seconds: number; segmentSeconds: number; namePrefix: string } | undefined;
}

export function createSegmenter(options: SegmenterOptions) {
  const { dir, fps, clock, parts } = options;
  const segmentFrames = parts ? Math.round(parts.segmentSeconds * fps) : 0;
  let current: { segment: number; next: number } | undefined;

  // Segments are counted in frames: segment k starts at frame k * segmentFrames, on a forced keyframe.
  const partOf = (startFrame: number, endFrame: number): PartOf => {
    const segment = Math.floor((startFrame + 0.5) / segmentFrames);
    current = current?.segment === segment ? { segment, next: current.next + 1 } : { segment, next: 0 };
    return {
      segment: `${parts!.namePrefix}-${String(segment).padStart(5, '0')}.ts`,
      index: current.next,
      independent: startFrame === segment * segmentFrames,
      end: endFrame >= (segment + 1) * segmentFrames,
      target: parts!.seconds,
    };
  };

  return {
    /** A list line in, a finished segment (or part) out, or undefined for a line that is not one. */
    line(text: string): Segment | undefined {
      const entry = parseSegmentListLine(text);
      if (!entry) return undefined;
      const firstFrame = Math.round(entry.start * fps);
      const captured = clock.timeOf(firstFrame) ?? Date.now() - entry.end * 1000;
      return {
        name: entry.name,
        path: join(dir, entry.name),
        start: entry.start,
        // The list has microsecond precision; milliseconds are plenty and print cleanly, except for
        // parts, whose sum must stay exact (six parts of 0.333333 s make 2.000 s, not 1.998).
        duration: parts ? Math.round((entry.end - entry.start) * 1e6) / 1e6 : Math.round((entry.end - entry.start) * 1000) / 1000,
        programDateTime: new Date(Math.round(captured)),
        ...(parts ? { part: partOf(firstFrame, Math.round(entry.end * fps)) } : {}),
      };
    },
  };
}
