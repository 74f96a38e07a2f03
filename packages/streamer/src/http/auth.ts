// Bearer-token check for publishers. Both sides are hashed first so timingSafeEqual always
// compares equal lengths and the time taken says nothing about the token.
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseBearer } from '@hls-live/protocol';
import { StreamerError } from '../errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export type Authorize = (header: string | undefined) => void;

/** Returns a check that throws UNAUTHORIZED unless the header carries the token; open without one. */
export function createAuthorizer(token: string | undefined): Authorize {
  if (token === undefined) return () => {};
  const expected = digest(token);
  return (header) => {
    const presented = parseBearer(header);
    const ok = timingSafeEqual(digest(presented ?? ''), expected) && presented !== undefined;
    if (!ok) {
      throw new StreamerError(
        'UNAUTHORIZED',
        header ? 'Wrong publish token.' : 'Missing `Authorization: Bearer <token>`; the streamer was started with a publish token.',
      );
    }
  };
}
