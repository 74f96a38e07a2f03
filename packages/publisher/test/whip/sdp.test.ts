// Reading offers: what browsers and OBS send is taken, H.264 packetization-mode 1 is preferred
// (constrained baseline first), VP8 is the fallback, and broken offers are named.
import { describe, expect, it } from 'vitest';
import { chooseVideo, OfferError, parseOffer } from '../../src/whip/sdp.js';

const session = ['v=0', 'o=- 4611 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=fingerprint:sha-256 AB:CD'];
const ice = ['a=ice-ufrag:abcd', 'a=ice-pwd:0123456789abcdef012345', 'a=setup:actpass'];
// Chrome's video section, shortened: VP8, VP9, then H.264 in several profiles and modes, with RTX.
const chromeVideo = [
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 102 103 127',
  'c=IN IP4 0.0.0.0',
  ...ice,
  'a=mid:1',
  'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:98 VP9/90000',
  'a=fmtp:98 profile-id=0',
  'a=rtpmap:99 H264/90000',
  'a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtpmap:100 H264/90000',
  'a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f',
  'a=rtpmap:101 H264/90000',
  'a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f',
  'a=rtpmap:102 H264/90000',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:103 H264/90000',
  'a=fmtp:103 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f',
  'a=rtpmap:127 AV1/90000',
];
const audio = [
  'm=audio 9 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 0.0.0.0',
  ...ice,
  'a=mid:0',
  'a=sendonly',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
];
const sdp = (...sections: string[][]) => `${[...session, ...sections.flat()].join('\r\n')}\r\n`;

describe('chooseVideo', () => {
  it.each([
    ['Chrome (audio, then VP8/VP9/H.264)', sdp(audio, chromeVideo), { mid: '1', codec: 'h264', payloadType: 102 }],
    [
      'OBS (H.264 and Opus)',
      sdp(audio, [
        'm=video 9 UDP/TLS/RTP/SAVPF 96',
        ...ice,
        'a=mid:1',
        'a=sendonly',
        'a=rtpmap:96 H264/90000',
        'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1',
      ]),
      { codec: 'h264', payloadType: 96 },
    ],
    ['main and high only', sdp(chromeVideo.filter((l) => !/^a=(rtpmap|fmtp):(99|101|102) /.test(l))), { codec: 'h264', payloadType: 103 }],
    [
      'VP8 only (a browser without H.264)',
      sdp(chromeVideo.filter((l) => !/H264|fmtp:(99|100|101|102|103)/.test(l))),
      { codec: 'vp8', payloadType: 96, fmtp: '' },
    ],
    ['LF line ends', sdp(audio, chromeVideo).replace(/\r\n/g, '\n'), { codec: 'h264', payloadType: 102 }],
  ])('takes %s', (_name, text, expected) => {
    expect(chooseVideo(parseOffer(text))).toMatchObject(expected);
  });

  it.each([
    ['audio only', sdp(audio)],
    ['H.264 in packetization-mode 0 and AV1 only', sdp(chromeVideo.filter((l) => !/VP8|VP9|fmtp:(100|101|102|103)|rtpmap:(100|101|102|103)/.test(l)))],
    ['video it would receive, not send', sdp(chromeVideo.map((l) => (l === 'a=sendonly' ? 'a=recvonly' : l)))],
  ])('finds no usable video in %s', (_name, text) => {
    expect(chooseVideo(parseOffer(text))).toBeUndefined();
  });
});

describe('parseOffer', () => {
  it.each([
    ['an empty body', '', /starts with `v=0`/],
    ['JSON', '{"sdp":"v=0"}', /starts with `v=0`/],
    ['no media', sdp([]), /no media section/],
    ['no ICE credentials', sdp(chromeVideo.filter((l) => !l.startsWith('a=ice-'))), /ICE credentials/],
    ['no fingerprint', sdp(chromeVideo).replace(/a=fingerprint:.*\r\n/, ''), /fingerprint/],
    ['no mid', sdp(chromeVideo.filter((l) => !l.startsWith('a=mid'))), /a=mid/],
    ['a broken media line', sdp(['m=video x', ...ice, 'a=mid:0']), /malformed media line/],
    ['a line that is not SDP', `${sdp(chromeVideo)}hello\r\n`, /not an SDP line/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseOffer(text)).toThrow(OfferError);
    expect(() => parseOffer(text)).toThrow(message);
  });
});
