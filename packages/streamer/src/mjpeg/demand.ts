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

/** A hub's demand: the tracker on a clock, with a timer for the idle expiry and listeners told of every change. */
export interface HubDemand {
  viewerJoined(): void;
  viewerLeft(): void;
  /** A snapshot request: wanted for another `idleMs`. */
  touched(): void;
  demand(): boolean;
  /** Called with every change of demand; returns the unsubscribe. */
  onDemand(listener: (demand: boolean) => void): () => void;
  /** Clears the timer and the listeners. */
  close(): void;
}

/** `changed` runs on every change of demand before the listeners (the hub's own bookkeeping). */
export function createHubDemand(idleMs: number, now: () => number, changed?: (demand: boolean) => void): HubDemand {
  const tracker = createDemandTracker(idleMs);
  const listeners = new Set<(demand: boolean) => void>();
  let demand = false;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  // Re-evaluates demand, tells listeners on a change, and arms the timer for the next expiry.
  const update = () => {
    clearTimeout(timer);
    timer = undefined;
    const t = now();
    const wanted = tracker.wanted(t);
    if (wanted !== demand) {
      demand = wanted;
      changed?.(demand);
      for (const listener of listeners) listener(demand);
    }
    const at = tracker.expiresAt(t);
    if (at !== undefined && !closed) timer = setTimeout(update, Math.max(1, at - t));
  };

  return {
    viewerJoined() {
      tracker.viewerJoined(now());
      update();
    },
    viewerLeft() {
      tracker.viewerLeft(now());
      update();
    },
    touched() {
      tracker.touched(now());
      update();
    },
    demand: () => demand,
    onDemand(listener) {
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
