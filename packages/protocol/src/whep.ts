// WebRTC playback over WHEP (RFC 9725, WebRTC-HTTP Egress Protocol): the viewer POSTs its SDP
// offer, the streamer answers with its SDP and a session URL the viewer DELETEs when it leaves.
// The paths, content type and error codes are shared by the streamer and the viewer page.

/** POST an `application/sdp` offer here; the answer's `Location` is `${WHEP_PATH}/<session id>`. */
export const WHEP_PATH = '/whep';
export const SDP_CONTENT_TYPE = 'application/sdp';
/** Largest offer accepted, in bytes (a browser's offer is a few kB). */
export const MAX_OFFER_BYTES = 64 * 1024;

/** Code -> HTTP status of every WHEP refusal (the JSON error body of every route). */
export const WHEP_ERRORS = {
  /** Not SDP, or no video section to answer. */
  INVALID_OFFER: 400,
  /** Over MAX_OFFER_BYTES. */
  OFFER_TOO_LARGE: 413,
  /** The body's Content-Type is not application/sdp. */
  NOT_SDP: 415,
  /** The offer has no H.264 (packetization-mode 1) the streamer can send. */
  NO_H264: 406,
  /** A DELETE or PATCH for a session that does not exist (any more). */
  SESSION_NOT_FOUND: 404,
  /** Trickle ICE (PATCH) is not supported: the answer carries every candidate. */
  TRICKLE_NOT_SUPPORTED: 405,
  /** Past `--max-webrtc-viewers`, or WebRTC is off (`--max-webrtc-viewers 0`); answered with Retry-After. */
  TOO_MANY_WEBRTC_VIEWERS: 503,
  /** The peer connection could not be set up (e.g. the WebRTC UDP port is taken). */
  WEBRTC_UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type WhepErrorCode = keyof typeof WHEP_ERRORS;

/** `Retry-After` of a 503 from POST /whep, in seconds. */
export const WHEP_RETRY_AFTER_SECONDS = 5;

/** The session resource of id `id`. */
export function whepSessionPath(id: string): string {
  return `${WHEP_PATH}/${encodeURIComponent(id)}`;
}
