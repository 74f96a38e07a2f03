import { describe, expect, it } from 'vitest';
import { announceHost, parseOffer, PLAYOUT_DELAY_URI, withoutCandidates } from '../../src/webrtc/sdp.js';

// The shape of Chromium's recvonly video offer (trimmed to what matters).
const chromeOffer = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=fingerprint:sha-256 AA:BB',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:0123456789012345678901',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 102 103 127 108 112',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=recvonly',
  `a=extmap:12 ${PLAYOUT_DELAY_URI}`,
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:103 H264/90000',
  'a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:127 H264/90000',
  'a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:108 H264/90000',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=rtpmap:112 H264/90000',
  'a=fmtp:112 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f',
  '',
].join('\r\n');

describe('parseOffer', () => {
  it('picks constrained baseline with packetization-mode 1, the video mid and the playout-delay extension', () => {
    expect(parseOffer(chromeOffer)).toEqual({
      mid: '0',
      playoutDelayId: 12,
      h264: { payloadType: 127, fmtp: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f', profileLevelId: '42e01f' },
    });
  });

  it('takes Baseline, then Main, then High when constrained baseline is not offered', () => {
    expect(parseOffer(chromeOffer.replace(/^a=rtpmap:127 .*\r\n/m, '')).h264.payloadType).toBe(102);
    expect(parseOffer(chromeOffer.replace(/^a=rtpmap:(127|102) .*\r\n/gm, '')).h264.payloadType).toBe(108);
    expect(parseOffer(chromeOffer.replace(/^a=rtpmap:(127|102|108) .*\r\n/gm, '')).h264.payloadType).toBe(112);
  });

  it.each<[string, string, string]>([
    ['an empty body', '', 'INVALID_OFFER'],
    ['JSON', '{"type":"offer"}', 'INVALID_OFFER'],
    ['SDP without ICE credentials', chromeOffer.replace(/^a=ice-ufrag:.*\r\n/m, ''), 'INVALID_OFFER'],
    ['no video section', chromeOffer.replace(/^m=video .*$/m, 'm=audio 9 UDP/TLS/RTP/SAVPF 111'), 'INVALID_OFFER'],
    ['a video section that only sends', chromeOffer.replace('a=recvonly', 'a=sendonly'), 'INVALID_OFFER'],
    ['VP8 only', chromeOffer.replace(/^a=rtpmap:\d+ H264.*\r\n/gm, ''), 'NO_H264'],
    ['H.264 in packetization-mode 0 only', chromeOffer.replace(/^a=rtpmap:(102|127|108|112) .*\r\n/gm, ''), 'NO_H264'],
  ])('refuses %s with %s', (_name, sdp, code) => {
    expect(() => parseOffer(sdp)).toThrow(expect.objectContaining({ code }));
  });
});

describe('announceHost', () => {
  it('keeps one host candidate, at the announced address, on the same port', () => {
    const answer = [
      'v=0',
      'm=video 50000 UDP/TLS/RTP/SAVPF 127',
      'c=IN IP4 10.0.0.5',
      'a=mid:0',
      'a=candidate:1 1 UDP 2114977791 10.0.0.5 50000 typ host',
      'a=candidate:2 1 UDP 2114977535 172.17.0.1 50000 typ host',
      'a=candidate:3 1 UDP 2114977279 fe80::1 50000 typ host',
      'a=end-of-candidates',
      '',
    ].join('\r\n');
    const out = announceHost(answer, '203.0.113.7');
    expect(out.match(/^a=candidate:.*$/gm)).toEqual(['a=candidate:1 1 UDP 2114977791 203.0.113.7 50000 typ host']);
    expect(out).toContain('c=IN IP4 203.0.113.7\r\n');
    expect(out).toContain('a=end-of-candidates\r\n');
  });
});

describe('withoutCandidates', () => {
  it("drops the offer's candidates and end-of-candidates, nothing else", () => {
    const offer = `${chromeOffer}a=candidate:1 1 udp 2113937151 192.0.2.1 50000 typ host\r\na=end-of-candidates\r\n`;
    expect(withoutCandidates(offer)).toBe(chromeOffer);
  });
});
