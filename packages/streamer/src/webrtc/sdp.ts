// The little SDP the WHEP endpoint needs, as pure functions: what a viewer's offer asks for (the
// video section's mid, an H.264 payload type we can send, the playout-delay extension) and the
// answer's ICE candidates rewritten to the address viewers should reach (`--webrtc-host`).
import { StreamerError } from '../errors.js';

export const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';

export interface H264Format {
  readonly payloadType: number;
  /** The offer's fmtp parameters for it, answered as they are (e.g. `profile-level-id=42e01f;packetization-mode=1`). */
  readonly fmtp: string;
  /** `profile-level-id`, lower case; `42001f` when the offer gives none (RFC 6184 8.1). */
  readonly profileLevelId: string;
}

export interface VideoOffer {
  /** The `a=mid` of the video section the answer sends on. */
  readonly mid: string;
  readonly h264: H264Format;
  /** The id the offer gives the playout-delay RTP header extension, when it offers it. */
  readonly playoutDelayId: number | undefined;
}

/** Constrained Baseline first (what the publisher encodes), then Baseline, Main, High: each decodes it. */
function rank(profileLevelId: string): number {
  const profile = profileLevelId.slice(0, 2);
  const constraints = Number.parseInt(profileLevelId.slice(2, 4), 16) || 0;
  if (profile === '42') return (constraints & 0x40) !== 0 ? 0 : 1;
  if (profile === '4d') return 2;
  if (profile === '64') return 3;
  return 4;
}

/** Throws INVALID_OFFER (not SDP, no video to receive) or NO_H264 (406: nothing we can send). */
export function parseOffer(sdp: string): VideoOffer {
  const lines = sdp
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines[0] !== 'v=0' || !lines.some((line) => line.startsWith('a=fingerprint:')) || !lines.some((line) => line.startsWith('a=ice-ufrag:'))) {
    throw new StreamerError('INVALID_OFFER', 'The body is not an SDP offer with ICE credentials and a DTLS fingerprint (it must start with `v=0`).');
  }
  // Sections: each `m=` line and the lines after it.
  const sections: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([line]);
    else sections.at(-1)?.push(line);
  }
  const video = sections.find((section) => section[0]!.startsWith('m=video ') && !section.includes('a=sendonly') && !section.includes('a=inactive'));
  if (!video) throw new StreamerError('INVALID_OFFER', 'The offer has no video section that receives (m=video, recvonly or sendrecv).');
  const mid = video.find((line) => line.startsWith('a=mid:'))?.slice('a=mid:'.length);
  if (!mid) throw new StreamerError('INVALID_OFFER', "The offer's video section has no `a=mid`.");

  const formats: H264Format[] = [];
  for (const line of video) {
    const match = /^a=rtpmap:(\d+) H264\/90000$/i.exec(line);
    if (!match) continue;
    const payloadType = Number(match[1]);
    const fmtp = video.find((l) => l.startsWith(`a=fmtp:${payloadType} `))?.slice(`a=fmtp:${payloadType} `.length) ?? '';
    const params = new Map(
      fmtp
        .split(';')
        .map((kv) => kv.trim().split('=') as [string, string])
        .map(([k, v]) => [k.toLowerCase(), (v ?? '').toLowerCase()]),
    );
    // Mode 0 (one NAL unit per packet) cannot carry a keyframe bigger than a packet.
    if (params.get('packetization-mode') !== '1') continue;
    formats.push({ payloadType, fmtp, profileLevelId: params.get('profile-level-id') || '42001f' });
  }
  const h264 = formats.sort((a, b) => rank(a.profileLevelId) - rank(b.profileLevelId))[0];
  if (!h264) throw new StreamerError('NO_H264', "The offer has no H.264 with packetization-mode=1: this streamer sends the publisher's H.264 as it is.");
  const extmap = video.map((line) => /^a=extmap:(\d+)(?:\/\w+)? (\S+)/.exec(line)).find((m) => m?.[2] === PLAYOUT_DELAY_URI);
  return { mid, h264, playoutDelayId: extmap ? Number(extmap[1]) : undefined };
}

/**
 * The offer without its ICE candidates. The streamer never sends a check to an address an offer
 * names: it answers the viewer's own checks (peer-reflexive candidates, RFC 8445 7.3.1.3), so it
 * cannot be made to send packets to a third party, and a viewer that sends DTLS only after reading
 * the answer (libdatachannel does) is never sent a DTLS hello before it knows our fingerprint.
 * `end-of-candidates` goes too, or the ICE agent would give up at once with no pair to check.
 */
export function withoutCandidates(offer: string): string {
  const eol = offer.includes('\r\n') ? '\r\n' : '\n';
  return offer
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('a=candidate:') && !line.startsWith('a=end-of-candidates'))
    .join(eol);
}

/**
 * The answer with one host candidate at `host` on the mux port in place of whatever the library
 * gathered (every local interface), so viewers are told the address `--webrtc-host` names.
 */
export function announceHost(answer: string, host: string): string {
  const eol = answer.includes('\r\n') ? '\r\n' : '\n';
  let announced = false;
  const out: string[] = [];
  for (const line of answer.split(/\r?\n/)) {
    const candidate = /^a=candidate:(\S+) (\d+) (UDP) (\d+) (\S+) (\d+) typ host(.*)$/i.exec(line);
    if (candidate) {
      if (announced) continue;
      announced = true;
      const [, foundation, component, transport, priority, , port] = candidate;
      out.push(`a=candidate:${foundation} ${component} ${transport} ${priority} ${host} ${port} typ host`);
      continue;
    }
    if (line.startsWith('a=candidate:')) continue;
    if (line.startsWith('c=IN ')) {
      out.push(`c=IN ${host.includes(':') ? 'IP6' : 'IP4'} ${host}`);
      continue;
    }
    out.push(line);
  }
  return out.join(eol);
}
