// GET /stream.m3u8: the cached render of the window, gzip-compressed when the client accepts it.
import type Router from '@koa/router';
import type { LiveStream } from '../live-stream.js';

export const PLAYLIST_PATH = '/stream.m3u8';

export function registerPlaylistRoute(router: Router, live: LiveStream): void {
  router.get(PLAYLIST_PATH, (ctx) => {
    const playlist = live.playlist();
    const gzip = ctx.acceptsEncodings('gzip', 'identity') === 'gzip';
    ctx.body = gzip ? playlist.gzip : Buffer.from(playlist.text);
    if (gzip) ctx.set('Content-Encoding', 'gzip');
    ctx.set('Vary', 'Accept-Encoding');
    ctx.set('Content-Type', 'application/vnd.apple.mpegurl');
    // A live playlist changes every segment: no cache may keep it.
    ctx.set('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.set('Pragma', 'no-cache');
    ctx.set('Expires', '0');
  });
}
