import { iou, type Box } from './types.js';

export interface BoxTrackerOptions {
  /** A box is kept this long after the last detection that matched it. Default `500` ms. */
  holdMs?: number;
  /** Weight of a new detection when smoothing a matched box, (0, 1]; 1 = no smoothing. Default `0.6`. */
  alpha?: number;
  /** Minimum IoU for a detection to continue an existing box. Default `0.3`. */
  matchIou?: number;
}

export interface BoxTracker {
  /** Feeds one detector result (source pixels) observed at time `now` (ms). */
  update(boxes: readonly Box[], now: number): void;
  /** Boxes to draw at time `now`: smoothed, held through short misses, dropped after `holdMs`. */
  current(now: number): Box[];
  clear(): void;
}

interface Track {
  box: Box;
  lastSeen: number;
}

/** Holds and smooths boxes between detector results so they neither flicker nor jump. */
export function createBoxTracker(options: BoxTrackerOptions = {}): BoxTracker {
  const holdMs = options.holdMs ?? 500;
  const alpha = options.alpha ?? 0.6;
  const matchIou = options.matchIou ?? 0.3;
  let tracks: Track[] = [];

  return {
    update(boxes, now) {
      const pairs: Array<{ t: number; b: number; v: number }> = [];
      tracks.forEach((track, t) => {
        boxes.forEach((box, b) => {
          const v = iou(track.box, box);
          if (v >= matchIou) pairs.push({ t, b, v });
        });
      });
      pairs.sort((p, q) => q.v - p.v);
      const usedTracks = new Set<number>();
      const usedBoxes = new Set<number>();
      for (const { t, b } of pairs) {
        if (usedTracks.has(t) || usedBoxes.has(b)) continue;
        usedTracks.add(t);
        usedBoxes.add(b);
        const track = tracks[t]!;
        track.box = blend(track.box, boxes[b]!, alpha);
        track.lastSeen = now;
      }
      boxes.forEach((box, b) => {
        if (!usedBoxes.has(b)) tracks.push({ box: { ...box }, lastSeen: now });
      });
      tracks = tracks.filter((track) => now - track.lastSeen <= holdMs);
    },
    current(now) {
      return tracks.filter((track) => now - track.lastSeen <= holdMs).map((track) => track.box);
    },
    clear() {
      tracks = [];
    },
  };
}

function blend(old: Box, next: Box, a: number): Box {
  return {
    x: old.x + (next.x - old.x) * a,
    y: old.y + (next.y - old.y) * a,
    w: old.w + (next.w - old.w) * a,
    h: old.h + (next.h - old.h) * a,
    score: next.score,
  };
}
