// The publish token: `Authorization: Bearer <token>` on every publish request and on the MJPEG
// ingest upgrade. A missing or wrong token is a 401 `UNAUTHORIZED` with `WWW-Authenticate: Bearer`.

export const AUTHORIZATION_HEADER = 'Authorization';
/** The `WWW-Authenticate` challenge of a 401. */
export const AUTH_CHALLENGE = 'Bearer';

/** The headers carrying `token`; none without one (an open streamer). Names are lower-case. */
export function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { [AUTHORIZATION_HEADER.toLowerCase()]: `Bearer ${token}` } : {};
}

/** The token of an `Authorization` header value; undefined when it is absent, empty or not Bearer. */
export function parseBearer(header: string | undefined): string | undefined {
  const token = /^Bearer\s+(.*?)\s*$/i.exec(header ?? '')?.[1];
  return token || undefined;
}
