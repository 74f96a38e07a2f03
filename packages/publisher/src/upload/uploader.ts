// Uploads finished segments to the streamer strictly in order (PROTOCOL.md), retrying with
// exponential backoff while it is unreachable. The queue is bounded: past the bound the oldest
// segment is dropped and counted, so a long outage costs old video, never memory or disk.
import { readFile, unlink } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  answerOutcome,
  endHeaders,
  partHeaders,
  PUBLISH_END_PATH,
  publishPath,
  readErrorBody,
  segmentHeaders,
  streamerUrl,
  streamHeaders,
  type PartOf,
} from '@hls-live/protocol';
import got, { type Got } from 'got';
import type { Logger } from 'pino';
import { UnauthorizedError } from '../errors.js';
import { backoff } from '../retry/backoff.js';

/** One file to publish: a whole segment, or a Low-Latency HLS part of one (same queue, same rules). */
export interface UploadItem {
  name: string;
  path: string;
  /** Exact duration in seconds. */
  duration: number;
  programDateTime: Date;
  /** Set for a part: it is posted under its segment's name with the part headers (docs/PROTOCOL.md). */
  part?: PartOf | undefined;
  /** Overrides the uploader's session for this item (a restarted direct ffmpeg is a new session). */
  session?: string | undefined;
}

export interface UploaderOptions {
  streamer: string;
  /** The named stream published to (`X-Stream`); default `default`. */
  stream?: string | undefined;
  token: string | undefined;
  sessionId: string;
  /** Declared once per session: ceil(--segment-seconds). */
  targetDuration: number;
  /** Items held (including the one being sent) before the oldest is dropped. */
  queueLimit: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Per request. Default 15 s. */
  requestTimeoutMs?: number;
  logger: Logger;
  /** Called once when uploading cannot go on (a refused token). */
  onFatal: (error: Error) => void;
  /** Called per item the streamer accepted, with the milliseconds its delivery took (retries included). */
  onSent?: (item: UploadItem, ms: number) => void;
}

export interface UploaderStats {
  queued: number;
  sent: number;
  dropped: number;
  rejected: number;
  retries: number;
  lastUploadAt: number | undefined;
  lastError: string | undefined;
}

export interface Uploader {
  enqueue(item: UploadItem): void;
  /** Waits (bounded) until the queue is sent, then posts /publish/end (unless `postEnd` is false: a pause). */
  end(timeoutMs: number, postEnd?: boolean): Promise<void>;
  /** Stops at once: drops what is queued and deletes its files. */
  stop(): Promise<void>;
  stats(): UploaderStats;
}

type Outcome = 'sent' | 'rejected' | 'dropped' | 'fatal';
/** Try again, not before `notBeforeMs` from now if the streamer said so (Retry-After). */
type Retry = { retry: true; notBeforeMs?: number | undefined };

/** A Retry-After beyond this is taken as this: the publisher keeps trying while it captures. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After in ms (delta-seconds or an HTTP date), undefined when absent or unreadable. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  const ms = /^\s*\d+\s*$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

export function createUploader(options: UploaderOptions): Uploader {
  const { logger } = options;
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const client: Got = got.extend({
    agent: agents,
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { request: options.requestTimeoutMs ?? 15_000 },
  });
  const queue: UploadItem[] = [];
  const stats: UploaderStats = { queued: 0, sent: 0, dropped: 0, rejected: 0, retries: 0, lastUploadAt: undefined, lastError: undefined };
  let current: { item: UploadItem; abort: AbortController } | undefined;
  let wake: (() => void) | undefined;
  let idle: (() => void) | undefined;
  let closed = false;
  let fatal = false;

  const remove = (item: UploadItem) => unlink(item.path).catch(() => {});

  const dropOldest = () => {
    const old = queue.shift()!;
    stats.dropped++;
    logger.warn({ segment: old.name, dropped: stats.dropped }, 'upload queue full: dropped the oldest segment');
    if (current?.item === old) current.abort.abort();
    void remove(old);
  };

  const attempt = async (item: UploadItem, signal: AbortSignal): Promise<Outcome | Retry> => {
    let body: Buffer;
    try {
      body = await readFile(item.path);
    } catch (error) {
      logger.error({ segment: item.name, err: error }, 'segment file unreadable; skipped');
      return 'rejected';
    }
    // An empty body means "already in the media folder" to the streamer; ours never is.
    if (body.length === 0) return 'rejected';
    // A part goes to its segment's name with its own duration (docs/PROTOCOL.md).
    const url = streamerUrl(options.streamer, publishPath(item.part?.segment ?? item.name, item.duration));
    try {
      const res = await client.post(url, {
        body,
        signal,
        headers: {
          ...segmentHeaders({
            session: item.session ?? options.sessionId,
            programDateTime: item.programDateTime,
            targetDuration: options.targetDuration,
            token: options.token,
          }),
          ...(item.part ? partHeaders(item.part) : {}),
          ...streamHeaders(options.stream),
        },
      });
      const answer = answerOutcome(res.statusCode);
      if (answer === 'sent') return 'sent';
      stats.lastError = `${res.statusCode} ${readErrorBody(String(res.body))?.code ?? ''}`;
      if (answer === 'fatal') return 'fatal';
      // 5xx (507 STORAGE_FULL, 503 TOO_MANY_UPLOADS...), 408, 429: the same bytes may go through later.
      if (answer === 'retry') return { retry: true, notBeforeMs: retryAfterMs(res.headers['retry-after']) };
      // 409: the streamer already has it; other 4xx: retrying the same bytes cannot help.
      logger.warn({ segment: item.name, status: res.statusCode, body: String(res.body).slice(0, 300) }, 'streamer refused a segment; dropped');
      return 'rejected';
    } catch (error) {
      if (signal.aborted) return 'dropped';
      // A refused connection, a reset, or no answer within the request timeout (got's TimeoutError).
      stats.lastError = (error as Error).message;
      return { retry: true };
    }
  };

  const deliver = async (item: UploadItem): Promise<Outcome> => {
    const delays = backoff({ minMs: options.retryMinMs, maxMs: options.retryMaxMs });
    for (let n = 0; ; n++) {
      const abort = new AbortController();
      current = { item, abort };
      const outcome = await attempt(item, abort.signal);
      if (typeof outcome === 'string') return outcome;
      if (closed) return 'dropped';
      stats.retries++;
      const next = delays.next();
      const delay = Math.max(next, outcome.notBeforeMs ?? 0);
      if (n === 0 || next === options.retryMaxMs)
        logger.warn({ segment: item.name, retryInMs: delay, error: stats.lastError }, 'streamer unreachable; retrying');
      try {
        await sleep(delay, undefined, { signal: abort.signal });
      } catch {
        return 'dropped';
      }
    }
  };

  const loop = async () => {
    while (!closed) {
      const item = queue[0];
      if (!item) {
        idle?.();
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const began = performance.now();
      const outcome = await deliver(item);
      current = undefined;
      if (queue[0] === item) queue.shift();
      if (outcome === 'sent') {
        stats.sent++;
        stats.lastUploadAt = Date.now();
        options.onSent?.(item, performance.now() - began);
        logger.debug({ segment: item.name, duration: item.duration }, 'segment published');
      } else if (outcome === 'rejected') stats.rejected++;
      if (outcome !== 'dropped') void remove(item);
      if (outcome === 'fatal') {
        fatal = true;
        closed = true;
        for (const rest of queue.splice(0)) void remove(rest);
        options.onFatal(new UnauthorizedError());
      }
    }
    idle?.();
  };
  void loop();

  const drained = () => (queue.length === 0 || closed ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve)));

  const postEndRequest = async (deadline: number) => {
    const url = streamerUrl(options.streamer, PUBLISH_END_PATH);
    const delays = backoff({ minMs: options.retryMinMs, maxMs: options.retryMaxMs });
    while (Date.now() < deadline) {
      try {
        const res = await client.post(url, {
          headers: { ...endHeaders(options.sessionId, options.token), ...streamHeaders(options.stream) },
          timeout: { request: Math.max(1, deadline - Date.now()) },
        });
        if (answerOutcome(res.statusCode) !== 'retry') {
          if (res.statusCode >= 300) logger.warn({ status: res.statusCode, body: String(res.body).slice(0, 300) }, 'streamer refused to end the stream');
          return;
        }
      } catch (error) {
        stats.lastError = (error as Error).message;
      }
      await sleep(Math.min(delays.next(), Math.max(0, deadline - Date.now())));
    }
    logger.warn('could not end the stream before the deadline');
  };

  const shutdown = async () => {
    closed = true;
    current?.abort.abort();
    for (const item of queue.splice(0)) void remove(item);
    wake?.();
    agents.http.destroy();
    agents.https.destroy();
  };

  return {
    enqueue(item) {
      if (closed) {
        void remove(item);
        return;
      }
      queue.push(item);
      while (queue.length > options.queueLimit) dropOldest();
      wake?.();
    },
    async end(timeoutMs, postEnd = true) {
      const deadline = Date.now() + timeoutMs;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      if (queue.length) logger.warn({ left: queue.length }, 'stopping with segments not yet published');
      const publishedAny = stats.sent > 0 || stats.rejected > 0;
      const wasFatal = fatal;
      // Stop the loop first so nothing else is sent after the end.
      closed = true;
      current?.abort.abort();
      for (const item of queue.splice(0)) void remove(item);
      wake?.();
      // Only a session that published ends the stream: ending someone else's would be rude.
      if (publishedAny && !wasFatal && postEnd) await postEndRequest(deadline);
      await shutdown();
    },
    stop: shutdown,
    stats: () => ({ ...stats, queued: queue.length }),
  };
}
