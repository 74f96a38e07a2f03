// GET /stream.m3u8: the cached render of the window, gzip-compressed when the client accepts it.
import type Router from '@koa/router';
import { StreamerError } from '../errors.js';
import { parseBlockingQuery } from '../hls/blocking-query.js';
import { checkBlockingRequest, hasReached } from '../hls/parts.js';
import { hold, onDemandStartMs } from './part-route.js';
import { identityBody } from './response-cache.js';
import { type HeaderOptions, playlistHeaders } from './response-headers.js';
import type { PickStream } from './stream-lookup.js';

export const PLAYLIST_PATH = '/stream.m3u8';

export function registerPlaylistRoute(router: Router, pick: PickStream, headers: HeaderOptions, prefix = ''): void {
  router.get(`${prefix}${PLAYLIST_PATH}`, async (ctx) => {
    const stream = pick(ctx);
    const { live } = stream;
    stream.watch.touch();
    // A stream starting on demand (its camera just woken): the request waits for the wake's first
    // segment or part rather than answer an empty playlist, or one with only an earlier capture's video.
    const wake = stream.waking();
    if (wake !== undefined) await hold(ctx, live, (state) => hasReached(state, wake, 0), onDemandStartMs(stream));
    // Blocking reload (RFC 8216bis 6.2.5.2): answer once the asked part or segment is listed.
    const blocking = parseBlockingQuery(ctx.query);
    if (blocking) {
      const { msn, part } = blocking;
      checkBlockingRequest(live.state(), msn, part);
      if (!(await hold(ctx, live, (state) => hasReached(state, msn, part)))) {
        throw new StreamerError(
          'BLOCKING_TIMEOUT',
          `Segment ${msn}${part === undefined ? '' : ` part ${part}`} did not arrive within three target durations.`,
          { msn, part },
        );
      }
    }
    const playlist = live.playlist();
    const gzip = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
    ctx.body = gzip ? playlist.gzip : identityBody(playlist);
    ctx.set(playlistHeaders(headers, gzip));
  });
}
