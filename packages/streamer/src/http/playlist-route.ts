// GET /stream.m3u8: the cached render of the window, gzip-compressed when the client accepts it.
import type Router from '@koa/router';
import { StreamerError } from '../errors.js';
import { parseBlockingQuery } from '../hls/blocking-query.js';
import { checkBlockingRequest, hasReached } from '../hls/parts.js';
import type { LiveStream } from '../live-stream.js';
import { hold } from './part-route.js';
import { identityBody } from './response-cache.js';
import { type HeaderOptions, playlistHeaders } from './response-headers.js';

export const PLAYLIST_PATH = '/stream.m3u8';

export function registerPlaylistRoute(router: Router, live: LiveStream, headers: HeaderOptions): void {
  router.get(PLAYLIST_PATH, async (ctx) => {
    // Blocking reload (RFC 8216bis 6.2.5.2): answer once the asked part or segment is listed.
    const blocking = parseBlockingQuery(ctx.query);
    if (blocking) {
      const { msn, part } = blocking;
      checkBlockingRequest(live.state(), msn, part);
      if (!(await hold(ctx, live, (state) => hasReached(state, msn, part)))) {
        throw new StreamerError('BLOCKING_TIMEOUT', `Segment ${msn}${part === undefined ? '' : ` part ${part}`} did not arrive within three target durations.`, { msn, part });
      }
    }
    const playlist = live.playlist();
    const gzip = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
    ctx.body = gzip ? playlist.gzip : identityBody(playlist);
    ctx.set(playlistHeaders(headers, gzip));
  });
}
