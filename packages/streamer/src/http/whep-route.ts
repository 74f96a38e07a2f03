// WebRTC playback over WHEP (RFC 9725): POST /whep with the viewer's SDP offer answers 201 with
// the SDP answer (every ICE candidate in it: no trickle) and the session URL in `Location`;
// DELETE on that URL ends the session. Every check runs before a session is made, so a refused
// offer changes nothing for the viewers already watching. Each stream has its own WHEP URL,
// `/live/<name>/whep` (and `/whep` for `default`), and its sessions under it.
import type { IncomingMessage } from 'node:http';
import type Router from '@koa/router';
import { MAX_OFFER_BYTES, SDP_CONTENT_TYPE, splitLivePath, WHEP_PATH } from '@hls-live/protocol';
import { StreamerError } from '../errors.js';
import type { WebRtcSessions } from '../webrtc/sessions.js';
import type { PickStream } from './stream-lookup.js';

async function readOffer(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () => new StreamerError('OFFER_TOO_LARGE', `An offer is at most ${MAX_OFFER_BYTES} bytes.`);
  if (declared > MAX_OFFER_BYTES) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > MAX_OFFER_BYTES) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `pick` finds the stream whose video a session sends; its routes are under `prefix` (`''`: `default` at `/whep`). */
export function registerWhepRoutes(router: Router, sessions: WebRtcSessions, pick?: PickStream, prefix = ''): void {
  router.post(`${prefix}${WHEP_PATH}`, async (ctx) => {
    const stream = pick?.(ctx);
    if (ctx.request.type !== SDP_CONTENT_TYPE) {
      ctx.req.resume();
      throw new StreamerError(
        'NOT_SDP',
        `A WHEP offer is sent as \`Content-Type: ${SDP_CONTENT_TYPE}\`, got \`${(ctx.get('Content-Type') || 'none').slice(0, 100)}\`.`,
      );
    }
    const { id, sdp } = await sessions.create(await readOffer(ctx.req), stream?.video);
    ctx.status = 201;
    // The session lives under the URL the offer was posted to (`/whep/<id>` for `/whep`).
    ctx.set('Location', `${ctx.path.replace(/\/+$/, '')}/${encodeURIComponent(id)}`);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = SDP_CONTENT_TYPE;
    ctx.body = sdp;
  });

  router.delete(`${prefix}${WHEP_PATH}/:id`, (ctx) => {
    if (!sessions.delete(ctx.params.id ?? '')) throw new StreamerError('SESSION_NOT_FOUND', 'No WebRTC session at this URL: it ended or never existed.');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 204;
  });

  router.patch(`${prefix}${WHEP_PATH}/:id`, (ctx) => {
    ctx.req.resume();
    if (!sessions.has(ctx.params.id ?? '')) throw new StreamerError('SESSION_NOT_FOUND', 'No WebRTC session at this URL: it ended or never existed.');
    throw new StreamerError('TRICKLE_NOT_SUPPORTED', 'Trickle ICE is not supported: the answer already lists every candidate.');
  });
}

/** The methods a WHEP URL allows, for CORS preflight and `Allow`; undefined for any other path. */
export function whepMethods(fullPath: string): string | undefined {
  const path = splitLivePath(fullPath)?.rest ?? fullPath;
  if (path === WHEP_PATH) return 'POST, OPTIONS';
  if (path.startsWith(`${WHEP_PATH}/`)) return 'DELETE, PATCH, OPTIONS';
  return undefined;
}
