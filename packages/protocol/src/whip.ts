// Publishing from a browser or OBS (WHIP, RFC 9725) to `hls-publish --input whip`: the paths,
// the content type, the limits and the error codes that the capture page, OBS and the publisher's
// WHIP server share (docs/PROTOCOL.md, "WHIP"). Pure, like the rest of this package. The SDP
// content type and the offer size limit are WHEP's (whep.ts): one definition for both.
import { SDP_CONTENT_TYPE } from './whep.js';

/** `POST` an SDP offer here; the answer's `Location` is the session URL. */
export const WHIP_PATH = '/whip';
/** Sessions live under this prefix: `DELETE /whip/<id>` ends one. */
export const WHIP_SESSION_PREFIX = '/whip/';

/** Code -> HTTP status of every refusal of the WHIP server (the JSON error body); the codes that mean
 * the same as WHEP's are spelled the same. */
export const WHIP_ERRORS = {
  /** Not an SDP offer we can read (no `v=0`, no media, no ICE credentials or fingerprint). */
  INVALID_OFFER: 400,
  /** A missing or wrong `Authorization: Bearer` token. */
  UNAUTHORIZED: 401,
  /** A DELETE or PATCH for a session that does not exist (any more). */
  SESSION_NOT_FOUND: 404,
  /** Any other path. */
  NOT_FOUND: 404,
  /** Trickle ICE (PATCH) is not supported: the answer carries every candidate. */
  TRICKLE_NOT_SUPPORTED: 405,
  /** The offer has no video codec we take (H.264 packetization-mode 1, or VP8). */
  NO_USABLE_CODEC: 406,
  /** Another publisher is live: one camera at a time. */
  PUBLISHER_BUSY: 409,
  /** Over MAX_OFFER_BYTES. */
  OFFER_TOO_LARGE: 413,
  /** The body's Content-Type is not application/sdp. */
  NOT_SDP: 415,
  /** The peer connection could not be set up. */
  SESSION_FAILED: 500,
} as const satisfies Record<string, number>;

export type WhipErrorCode = keyof typeof WHIP_ERRORS;

/** The session URL path of session `id`. */
export function whipSessionPath(id: string): string {
  return `${WHIP_SESSION_PREFIX}${encodeURIComponent(id)}`;
}

/** The session id of a session path; undefined for any other path. */
export function parseWhipSessionPath(path: string): string | undefined {
  if (!path.startsWith(WHIP_SESSION_PREFIX)) return undefined;
  const id = path.slice(WHIP_SESSION_PREFIX.length);
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

/** Whether a `Content-Type` header value names SDP (parameters such as `charset` are allowed). */
export function isSdpContentType(value: string | undefined): boolean {
  return (value ?? '').split(';')[0]!.trim().toLowerCase() === SDP_CONTENT_TYPE;
}
