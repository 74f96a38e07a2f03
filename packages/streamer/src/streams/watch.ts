// Whether anyone watches a stream right now, for capture on demand (docs/PROTOCOL.md, "Capture on
// demand"): watched while a held viewer is connected (MJPEG, WebRTC) and for `quietMs` after the
// last playlist, segment or part request. The publisher is told of every change; its own
// `--idle-seconds` then decides when to stop capture.
import { createDemandTracker } from '../mjpeg/demand.js';

export interface Watch {
  /** A playlist, segment or part request: cheap enough for the fast path. */
  touch(): void;
  /** A held viewer (an MJPEG response, a WebRTC session) by source; `on` while any is there. */
  hold(source: string, on: boolean): void;
  watched(): boolean;
  /** Epoch ms of the last request or held-viewer change; undefined before any. */
  lastSeen(): number | undefined;
  /** Called with every change of `watched()`; returns the unsubscribe. */
  onChange(listener: (watched: boolean) => void): () => void;
  close(): void;
}

export function createWatch(quietMs: number, now: () => number = Date.now): Watch {
  const tracker = createDemandTracker(quietMs);
  const held = new Set<string>();
  const listeners = new Set<(watched: boolean) => void>();
  let watched = false;
  let seen: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const update = () => {
    clearTimeout(timer);
    timer = undefined;
    const t = now();
    const wanted = held.size > 0 || tracker.wanted(t);
    if (wanted !== watched) {
      watched = wanted;
      for (const listener of listeners) listener(watched);
    }
    const at = tracker.expiresAt(t);
    if (watched && held.size === 0 && at !== undefined && !closed) {
      timer = setTimeout(update, Math.max(1, at - t));
      timer.unref();
    }
  };

  return {
    touch() {
      const t = now();
      seen = t;
      tracker.touched(t);
      // While watched the armed timer re-reads the tracker when it fires; nothing to do per request.
      if (!watched) update();
    },
    hold(source, on) {
      seen = now();
      if (on) held.add(source);
      else held.delete(source);
      tracker.touched(seen);
      update();
    },
    watched: () => watched,
    lastSeen: () => seen,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      clearTimeout(timer);
      listeners.clear();
    },
  };
}
