// Keeps the capture ffmpeg running: when it exits without being asked to (a camera glitch, an
// RTSP drop, a kill), a new one is started after an exponential backoff, and the reason is
// logged. The encoder keeps running across the gap, so the stream stays one session with
// continuous timestamps: viewers see the picture jump, not a discontinuity.
import type { Logger } from 'pino';
import type { FfmpegProcess } from '../ffmpeg/process.js';

export interface CaptureSupervisorOptions {
  /** Starts a new capture and connects its output; called for every restart. */
  spawn: () => FfmpegProcess;
  /** Told of each new capture, so stop paths reach the live one. */
  onRestart: (proc: FfmpegProcess) => void;
  logger: Logger;
  /** First delay and cap of the backoff, ms. Default 500 and 30 000. */
  minMs?: number;
  maxMs?: number;
  /** A capture that ran this long resets the backoff. Default 30 000 ms. */
  stableMs?: number;
  now?: () => number;
}

export interface CaptureSupervisor {
  readonly restarts: number;
  /** No more restarts; a pending one is cancelled. The current capture is the caller's to stop. */
  stop(): void;
}

/** The delay before restart number `attempt` (0-based). */
export function restartDelay(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
}

export function superviseCapture(first: FfmpegProcess, options: CaptureSupervisorOptions): CaptureSupervisor {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const minMs = options.minMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const stableMs = options.stableMs ?? 30_000;
  let stopped = false;
  let attempt = 0;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;

  const watch = (proc: FfmpegProcess, startedAt: number) => {
    void proc.exited.then((info) => {
      if (stopped || proc.stopping) return;
      if (now() - startedAt >= stableMs) attempt = 0;
      const delay = restartDelay(attempt++, minMs, maxMs);
      const reason = proc.exitError(info).message;
      logger.warn({ pid: proc.pid, code: info.code, signal: info.signal, reason, restartInMs: delay, restarts }, 'capture ffmpeg exited; restarting it');
      timer = setTimeout(() => {
        timer = undefined;
        if (stopped) return;
        const next = options.spawn();
        restarts++;
        options.onRestart(next);
        logger.info({ pid: next.pid, restarts }, 'capture restarted');
        watch(next, now());
      }, delay);
    });
  };
  watch(first, now());

  return {
    get restarts() {
      return restarts;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
