// Low-Latency HLS reads: GET /parts/:sequence.:index.ts (a part, or the hinted next part held
// until it arrives) and the wait shared with blocking playlist reload.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { StreamerError } from '../errors.js';
import { hasReached, mayArrive } from '../hls/parts.js';
import type { WindowState } from '../hls/window.js';
import type { LiveStream } from '../live-stream.js';
import { type HeaderOptions, partHeaders } from './response-headers.js';

export const PART_PATH = /^(\d{1,15})\.(\d{1,4})\.ts$/;

/** RFC 8216bis 6.2.5.2: a blocked request is answered within three target durations. */
export function holdMs(state: WindowState): number {
  return 3 * (state.targetDuration ?? state.config.targetDuration ?? 2) * 1000;
}

/** Waits for `ready` without polling; a client that disconnects stops its wait at once. */
export function hold(ctx: Context, live: LiveStream, ready: (state: WindowState) => boolean): Promise<boolean> {
  const abort = new AbortController();
  const onClose = () => abort.abort();
  ctx.res.once('close', onClose);
  return live.waitFor(ready, holdMs(live.state()), abort.signal).finally(() => ctx.res.off('close', onClose));
}

export function registerPartRoute(router: Router, live: LiveStream, headers: HeaderOptions): void {
  router.get('/parts/:file', async (ctx) => {
    const name = ctx.params.file ?? '';
    const m = PART_PATH.exec(name);
    const notFound = () => new StreamerError('PART_NOT_FOUND', 'No such part: it was never published, or has been retired.', { name: name.slice(0, 200) });
    if (!m) throw notFound();
    const sequence = Number(m[1]);
    const index = Number(m[2]);
    let bytes = live.part(sequence, index);
    // The part named by EXT-X-PRELOAD-HINT may be asked for before it exists: answer when it does.
    if (!bytes && mayArrive(live.state(), sequence, index)) {
      await hold(ctx, live, (state) => hasReached(state, sequence, index));
      bytes = live.part(sequence, index);
    }
    if (!bytes) throw notFound();
    ctx.body = bytes;
    ctx.set(partHeaders(headers, Math.round(holdMs(live.state()) / 1000)));
  });
}
