import { describe, expect, it } from 'vitest';
import { isSdpContentType, parseWhipSessionPath, WHIP_ERRORS, whipSessionPath } from '../src/whip.js';

describe('WHIP contract', () => {
  it('round-trips session paths and refuses anything else', () => {
    expect(parseWhipSessionPath(whipSessionPath('wabc123'))).toBe('wabc123');
    expect(parseWhipSessionPath('/whip')).toBeUndefined();
    expect(parseWhipSessionPath('/whip/')).toBeUndefined();
    expect(parseWhipSessionPath('/whip/../x')).toBeUndefined();
    expect(parseWhipSessionPath('/whep/wabc')).toBeUndefined();
  });

  it.each([
    ['application/sdp', true],
    ['Application/SDP; charset=utf-8', true],
    ['application/json', false],
    ['application/sdpx', false],
    [undefined, false],
  ])('reads content type %j as SDP: %j', (value, sdp) => {
    expect(isSdpContentType(value)).toBe(sdp);
  });

  it('answers each refusal with its RFC 9725 status', () => {
    expect(WHIP_ERRORS).toMatchObject({ INVALID_OFFER: 400, UNAUTHORIZED: 401, NO_USABLE_CODEC: 406, PUBLISHER_BUSY: 409, NOT_SDP: 415 });
  });
});
