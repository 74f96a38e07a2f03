// Per-response work done once instead of per request, shared by the Koa routes and the fast path.
import type { RenderedPlaylist } from '../live-stream.js';

const identityBodies = new WeakMap<RenderedPlaylist, Buffer>();

/** The playlist's uncompressed bytes, made once per render rather than per request. */
export function identityBody(playlist: RenderedPlaylist): Buffer {
  let body = identityBodies.get(playlist);
  if (!body) {
    body = Buffer.from(playlist.text);
    identityBodies.set(playlist, body);
  }
  return body;
}

/** An `Expires` value `maxAgeSeconds` ahead, formatted at most once a second. */
export function createExpires(maxAgeSeconds: number, now: () => number = Date.now): () => string {
  let second = -1;
  let value = '';
  return () => {
    const current = Math.floor(now() / 1000);
    if (current !== second) {
      second = current;
      value = new Date((current + maxAgeSeconds) * 1000).toUTCString();
    }
    return value;
  };
}
