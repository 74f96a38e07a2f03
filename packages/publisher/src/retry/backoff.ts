// The one retry policy of the publisher: exponential backoff with a cap and optional jitter,
// used by the uploader, the capture and encoder supervisors, the detector worker and the MJPEG
// preview. Pure (no timers): the caller sleeps for what `next()` returns.

export interface BackoffOptions {
  /** First delay, ms. */
  minMs: number;
  /** Largest delay, ms; wins over `minMs`. */
  maxMs: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of each delay drawn at random and taken off it, 0..1 (0.2: 80-100% of the delay). Default 0. */
  jitter?: number;
  /** Source of randomness for the jitter. Default `Math.random`. */
  random?: () => number;
}

export interface Backoff {
  /** The delay before the next attempt; each call grows the following one. */
  next(): number;
  /** Back to `minMs`, after a success. */
  reset(): void;
  /** Delays handed out since the last reset. */
  readonly attempts: number;
}

export function backoff(options: BackoffOptions): Backoff {
  const { minMs, maxMs } = options;
  const factor = options.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, options.jitter ?? 0));
  const random = options.random ?? Math.random;
  // A cap below the first delay wins (every delay is the cap), as every caller did before.
  if (!(minMs >= 0 && maxMs >= 0 && factor >= 1)) throw new RangeError(`backoff needs minMs, maxMs >= 0 and factor >= 1, got ${minMs}, ${maxMs}, ${factor}`);
  let attempts = 0;
  return {
    next() {
      // The exponent is bounded so a long outage never overflows to Infinity.
      const delay = Math.min(maxMs, minMs * factor ** Math.min(attempts, 64));
      attempts++;
      return jitter === 0 ? delay : Math.round(delay * (1 - jitter * random()));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

export interface FailureWindowOptions {
  /** Failures within `windowMs` that mean "give up". */
  max: number;
  windowMs: number;
  now?: () => number;
}

export interface FailureWindow {
  /** Counts one failure now; true once `max` of them fell within the window. */
  record(): boolean;
  /** Failures within the window right now. */
  readonly recent: number;
}

/** Tells a process that keeps failing from one that fails now and then. */
export function failureWindow(options: FailureWindowOptions): FailureWindow {
  const now = options.now ?? Date.now;
  let times: number[] = [];
  const prune = (t: number) => {
    times = times.filter((at) => t - at < options.windowMs);
  };
  return {
    record() {
      const t = now();
      prune(t);
      times.push(t);
      return times.length >= options.max;
    },
    get recent() {
      prune(now());
      return times.length;
    },
  };
}
