// Whether anyone wants MJPEG frames, as a pure state machine: wanted while a viewer is connected
// and for `idleMs` after the last viewer left or the last snapshot; the hub runs the timer.

export interface DemandTracker {
  viewerJoined(now: number): void;
  viewerLeft(now: number): void;
  /** A snapshot request: wanted for another `idleMs`. */
  touched(now: number): void;
  wanted(now: number): boolean;
  /** When `wanted` turns false if nothing happens, or undefined when it will not change by itself. */
  expiresAt(now: number): number | undefined;
}

export function createDemandTracker(idleMs: number): DemandTracker {
  let viewers = 0;
  let lastSeen: number | undefined;
  const wanted = (now: number) => viewers > 0 || (lastSeen !== undefined && now - lastSeen < idleMs);
  return {
    viewerJoined(now) {
      viewers++;
      lastSeen = now;
    },
    viewerLeft(now) {
      viewers = Math.max(0, viewers - 1);
      lastSeen = now;
    },
    touched(now) {
      lastSeen = now;
    },
    wanted,
    expiresAt(now) {
      return viewers === 0 && wanted(now) ? lastSeen! + idleMs : undefined;
    },
  };
}
