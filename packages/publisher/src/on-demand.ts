// Capture on demand (`--on-demand`): the camera stays closed (no capture ffmpeg) until the
// streamer says someone watches the stream, over the live channel (docs/PROTOCOL.md, "Capture on
// demand"). Each capture is one publisher session; `idleSeconds` after the streamer says nobody
// watches any more, the session stops without ending the stream (paused: the next session
// starts after a discontinuity). Decisions are applied one at a time, in order.
import type { Logger } from 'pino';
import type { Publisher } from './publisher.js';

export interface OnDemandOptions {
  /** Capture goes on this long after the streamer's last "nobody watches". */
  idleSeconds: number;
  /** A fresh publisher for one capture session; its `stop()` must not end the stream (`endOnStop: false`). */
  createSession(): Publisher;
  logger: Logger;
  /** A session could not start or failed (a refused token, a missing camera): publishing cannot go on. */
  onError(error: Error): void;
  /** Called with each new session, e.g. to show its status. */
  onSession?(session: Publisher): void;
}

export interface OnDemand {
  /** What the streamer says: someone watches the stream, or nobody does any more. */
  capture(watched: boolean): void;
  readonly capturing: boolean;
  /** Sessions started so far. */
  readonly sessions: number;
  /** Pids of the current session's ffmpeg children (none while waiting). */
  pids(): number[];
  /** Stops capture (if any) and waits for it; no session starts afterwards. */
  stop(): Promise<void>;
}

export function createOnDemand(options: OnDemandOptions): OnDemand {
  const { logger } = options;
  const idleMs = options.idleSeconds * 1000;
  let session: Publisher | undefined;
  let wanted = false;
  let stopped = false;
  let sessions = 0;
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  const reconcile = async () => {
    if ((stopped || !wanted) && session) {
      const ending = session;
      session = undefined;
      await ending.stop();
      logger.info({ sessions }, stopped ? 'capture stopped' : `nobody watched for ${options.idleSeconds} s: capture stopped (the stream is paused)`);
      return;
    }
    if (stopped || !wanted || session) return;
    const started = options.createSession();
    session = started;
    sessions++;
    options.onSession?.(started);
    started.on('error', (error) => options.onError(error));
    logger.info({ session: started.sessionId }, 'someone watches: capture started');
    try {
      await started.start();
    } catch (error) {
      if (session === started) session = undefined;
      options.onError(error instanceof Error ? error : new Error(String(error)));
    }
  };

  const run = () => {
    chain = chain.then(reconcile, reconcile);
    return chain;
  };

  return {
    capture(watched) {
      if (stopped) return;
      if (watched) {
        clearTimeout(timer);
        timer = undefined;
        if (!wanted) {
          wanted = true;
          void run();
        }
        return;
      }
      if (!wanted || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        wanted = false;
        void run();
      }, idleMs);
    },
    get capturing() {
      return session !== undefined;
    },
    get sessions() {
      return sessions;
    },
    pids: () => session?.pids() ?? [],
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await run();
    },
  };
}
