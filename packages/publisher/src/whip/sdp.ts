// Reading a WHIP offer (RFC 8866 SDP, as browsers and OBS write it) far enough to refuse what we
// cannot answer and to pick the video codec: H.264 packetization-mode 1 first (constrained
// baseline preferred, as every decoder takes it), VP8 if that is all there is. Pure.
import type { VideoCodec } from './unit.js';

export interface OfferFormat {
  payloadType: number;
  /** Encoding name as written (`H264`, `VP8`, `opus`, `rtx`...). */
  codec: string;
  clockRate: number;
  /** The `a=fmtp` parameters, as written. */
  fmtp: string;
}

export interface OfferMedia {
  kind: string;
  mid: string | undefined;
  direction: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  formats: OfferFormat[];
}

export interface Offer {
  media: OfferMedia[];
}

export interface VideoChoice {
  mid: string;
  codec: VideoCodec;
  payloadType: number;
  /** fmtp to answer with (H.264's profile and packetization mode). */
  fmtp: string;
}

export class OfferError extends Error {
  override readonly name = 'OfferError';
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** Parses an offer; throws OfferError naming what is missing. */
export function parseOffer(text: string): Offer {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines[0] !== 'v=0') throw new OfferError('an SDP offer starts with `v=0`');
  const session = { ufrag: false, pwd: false, fingerprint: false };
  const media: (OfferMedia & { ufrag: boolean; pwd: boolean; fingerprint: boolean })[] = [];
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new OfferError(`not an SDP line: ${JSON.stringify(line.slice(0, 60))}`);
    const current = media[media.length - 1];
    const scope = current ?? session;
    if (line.startsWith('m=')) {
      const m = /^m=(\S+) \d+(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line);
      if (!m) throw new OfferError(`malformed media line: ${JSON.stringify(line.slice(0, 60))}`);
      const formats = m[3]!
        .trim()
        .split(' ')
        .filter(Boolean)
        .map((pt) => ({ payloadType: Number(pt), codec: '', clockRate: 0, fmtp: '' }));
      media.push({ kind: m[1]!, mid: undefined, direction: 'sendrecv', formats, ufrag: false, pwd: false, fingerprint: false });
    } else if (line.startsWith('a=ice-ufrag:')) scope.ufrag = true;
    else if (line.startsWith('a=ice-pwd:')) scope.pwd = true;
    else if (line.startsWith('a=fingerprint:')) scope.fingerprint = true;
    else if (current && line.startsWith('a=mid:')) current.mid = line.slice(6);
    else if (current && DIRECTIONS.has(line.slice(2))) current.direction = line.slice(2) as OfferMedia['direction'];
    else if (current && line.startsWith('a=rtpmap:')) {
      const m = /^a=rtpmap:(\d+) ([^/]+)\/(\d+)/.exec(line);
      const format = m && current.formats.find((f) => f.payloadType === Number(m[1]));
      if (format) Object.assign(format, { codec: m[2], clockRate: Number(m[3]) });
    } else if (current && line.startsWith('a=fmtp:')) {
      const m = /^a=fmtp:(\d+) (.*)$/.exec(line);
      const format = m && current.formats.find((f) => f.payloadType === Number(m[1]));
      if (format) format.fmtp = m[2]!;
    }
  }
  if (media.length === 0) throw new OfferError('the offer has no media section');
  for (const m of media) {
    if (!(m.ufrag || session.ufrag) || !(m.pwd || session.pwd)) throw new OfferError('the offer has no ICE credentials (a=ice-ufrag, a=ice-pwd)');
    if (!(m.fingerprint || session.fingerprint)) throw new OfferError('the offer has no DTLS fingerprint (a=fingerprint)');
    if (m.mid === undefined) throw new OfferError('every media section needs an a=mid');
  }
  return { media: media.map(({ kind, mid, direction, formats }) => ({ kind, mid, direction, formats })) };
}

function fmtpParams(fmtp: string): Map<string, string> {
  return new Map(
    fmtp
      .split(';')
      .map((p) => p.trim().split('=') as [string, string])
      .filter(([k]) => k)
      .map(([k, v]) => [k.toLowerCase(), (v ?? '').toLowerCase()]),
  );
}

// Lower is better: constrained baseline, then baseline, main, high; other profiles last.
function h264Rank(fmtp: Map<string, string>): number {
  const profile = fmtp.get('profile-level-id') ?? '42e01f';
  const idc = profile.slice(0, 2);
  const constraints = parseInt(profile.slice(2, 4), 16);
  if (idc === '42') return constraints & 0x40 ? 0 : 1;
  return { '4d': 2, '64': 3 }[idc] ?? 4;
}

/** The video codec to answer with, or undefined when the offer sends no video we can take. */
export function chooseVideo(offer: Offer): VideoChoice | undefined {
  const video = offer.media.find((m) => m.kind === 'video' && (m.direction === 'sendonly' || m.direction === 'sendrecv'));
  if (!video) return undefined;
  const h264 = video.formats
    .filter((f) => f.codec.toLowerCase() === 'h264' && f.clockRate === 90_000 && fmtpParams(f.fmtp).get('packetization-mode') === '1')
    .sort((a, b) => h264Rank(fmtpParams(a.fmtp)) - h264Rank(fmtpParams(b.fmtp)))[0];
  if (h264) return { mid: video.mid!, codec: 'h264', payloadType: h264.payloadType, fmtp: h264.fmtp };
  const vp8 = video.formats.find((f) => f.codec.toLowerCase() === 'vp8' && f.clockRate === 90_000);
  if (vp8) return { mid: video.mid!, codec: 'vp8', payloadType: vp8.payloadType, fmtp: '' };
  return undefined;
}
