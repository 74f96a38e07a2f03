// Keeps one ffmpeg role running: when it exits without being asked to (a camera glitch, an RTSP
// drop, an encoder crash, a kill), a new one is started after a backoff (retry/backoff.ts) and
// the reason is logged. With `giveUp`, too many exits in a short time end the supervision and
// are reported instead: a process that cannot run is an error, one that fails now and then is not.
import type { Logger } from 'pino';
import type { FfmpegExitError } from '../errors.js';
import type { FfmpegProcess } from '../ffmpeg/process.js';
import { backoff, failureWindow, type Backoff } from '../retry/backoff.js';

export interface SupervisorOptions {
  /** What is supervised, in logs (`capture`, `encoder`, `ffmpeg`). */
  role: string;
  /** Starts a new process and connects it; called for every restart. */
  spawn: () => FfmpegProcess;
  /** Told of each new process, so stop paths reach the live one. */
  onRestart: (proc: FfmpegProcess) => void;
  logger: Logger;
  /** Restart delays. Default 500 ms doubling up to 30 s. */
  backoff?: Backoff;
  /** A process that ran this long resets the backoff. Default 30 000 ms. */
  stableMs?: number;
  /** Stop restarting after `max` unexpected exits within `windowMs`, and call `onGiveUp`. Default: never give up. */
  giveUp?: { max: number; windowMs: number; onGiveUp: (error: FfmpegExitError) => void };
  now?: () => number;
}

export interface Supervisor {
  readonly restarts: number;
  /** No more restarts; a pending one is cancelled. The current process is the caller's to stop. */
  stop(): void;
}

export function supervise(first: FfmpegProcess, options: SupervisorOptions): Supervisor {
  const { logger, role } = options;
  const now = options.now ?? Date.now;
  const delays = options.backoff ?? backoff({ minMs: 500, maxMs: 30_000 });
  const stableMs = options.stableMs ?? 30_000;
  const failures = options.giveUp && failureWindow({ max: options.giveUp.max, windowMs: options.giveUp.windowMs, now });
  let stopped = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;

  const watch = (proc: FfmpegProcess, startedAt: number) => {
    void proc.exited.then((info) => {
      if (stopped || proc.stopping) return;
      const error = proc.exitError(info);
      if (failures?.record()) {
        stopped = true;
        logger.error(
          { pid: proc.pid, code: info.code, signal: info.signal, reason: error.message, failures: options.giveUp!.max, withinMs: options.giveUp!.windowMs },
          `${role} ffmpeg keeps failing; giving up`,
        );
        options.giveUp!.onGiveUp(error);
        return;
      }
      if (now() - startedAt >= stableMs) delays.reset();
      const delay = delays.next();
      logger.warn(
        { pid: proc.pid, code: info.code, signal: info.signal, reason: error.message, restartInMs: delay, restarts },
        `${role} ffmpeg exited; restarting it`,
      );
      timer = setTimeout(() => {
        timer = undefined;
        if (stopped) return;
        const next = options.spawn();
        restarts++;
        options.onRestart(next);
        logger.info({ pid: next.pid, restarts }, `${role} restarted`);
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
