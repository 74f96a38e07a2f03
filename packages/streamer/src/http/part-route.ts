// Low-Latency HLS reads: GET /parts/:epoch.:sequence.:index.ts (a part, or the hinted next part held
// until it arrives) and the wait shared with blocking playlist reload.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { StreamerError } from '../errors.js';
import { hasReached, mayArrive } from '../hls/parts.js';
import type { WindowState } from '../hls/window.js';
import type { LiveStream } from '../live-stream.js';
import type { NamedStream } from '../streams/named-stream.js';
import { type HeaderOptions, partHeaders } from './response-headers.js';
import type { PickStream } from './stream-lookup.js';

/** `<epoch>.<msn>.<index>.ts` (hls/window.ts partFileName); the epoch is the LiveStream's partEpoch. */
export const PART_PATH = /^([0-9a-f]{8})\.(\d{1,15})\.(\d{1,4})\.ts$/;

/** The part a file name names in `live`'s run, or undefined: malformed, or another run's (never held). */
export function parsePart(live: Pick<LiveStream, 'partEpoch'>, file: string): { sequence: number; index: number } | undefined {
  const m = PART_PATH.exec(file);
  if (!m || m[1] !== live.partEpoch) return undefined;
  return { sequence: Number(m[2]), index: Number(m[3]) };
}

/** RFC 8216bis 6.2.5.2: a blocked request is answered within three target durations. */
export function holdMs(state: WindowState): number {
  return 3 * (state.targetDuration ?? state.config.targetDuration ?? 2) * 1000;
}

/**
 * How long the first playlist request of a stream starting on demand may wait for its first
 * segment: capture start-up plus a segment and its upload, a few target durations (of the
 * publisher's declared one, else 2 s).
 */
export function onDemandStartMs(stream: Pick<NamedStream, 'declaredTarget' | 'live'>): number {
  const target = stream.live.state().targetDuration ?? stream.live.state().config.targetDuration ?? stream.declaredTarget ?? 2;
  return Math.max(4000, 4 * target * 1000);
}

/** Waits for `ready` without polling; a client that disconnects stops its wait at once. */
export function hold(ctx: Context, live: LiveStream, ready: (state: WindowState) => boolean, timeoutMs = holdMs(live.state())): Promise<boolean> {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  ctx.res.once('close', onClose);
  return live.waitFor(ready, timeoutMs, abort.signal).finally(() => ctx.res.off('close', onClose));
}

export function registerPartRoute(router: Router, pick: PickStream, headers: HeaderOptions, prefix = ''): void {
  router.get(`${prefix}/parts/:file`, async (ctx) => {
    const stream = pick(ctx);
    const { live } = stream;
    stream.watch.touch();
    const name = ctx.params.file ?? '';
    const named = parsePart(live, name);
    const notFound = () =>
      new StreamerError('PART_NOT_FOUND', 'No such part: it was never published, has been retired, or is from an earlier run of the streamer.', {
        name: name.slice(0, 200),
      });
    if (!named) throw notFound();
    const { sequence, index } = named;
    let bytes = live.part(sequence, index);
    // The part named by EXT-X-PRELOAD-HINT may be asked for before it exists: answer when it does.
    if (!bytes && mayArrive(live.state(), sequence, index)) {
      await hold(ctx, live, (state) => hasReached(state, sequence, index));
      bytes = live.part(sequence, index);
    }
    if (!bytes) throw notFound();
    ctx.body = bytes;
    ctx.set(partHeaders(headers));
  });
}
