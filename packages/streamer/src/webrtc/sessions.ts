// WHEP sessions: one node-datachannel PeerConnection per viewer, sending the hub's H.264 with
// libdatachannel's RTP packetizer, SR reporter and NACK responder (retransmission from its
// packet history). Every connection shares one UDP port (ICE UDP mux). A session ends on DELETE,
// when its connection fails or closes, when ICE and DTLS do not complete in time, and when the
// viewer goes silent (no RTCP: a closed tab sends no receiver reports).
import { randomBytes, randomInt } from 'node:crypto';
import nodeDataChannel from 'node-datachannel';
import type { PeerConnection, RtcConfig, RtpPacketizationConfig, Track } from 'node-datachannel';
import type { Logger } from 'pino';
import { rtpTimestamp } from '@hls-live/protocol';
import { StreamerError } from '../errors.js';
import { announceHost, parseOffer, withoutCandidates, type VideoOffer } from './sdp.js';
import type { AccessUnit, VideoHub } from './video-hub.js';

const {
  PeerConnection: PeerConnectionClass,
  Video,
  RtpPacketizationConfig: RtpConfigClass,
  H264RtpPacketizer,
  RtcpSrReporter,
  RtcpNackResponder,
} = nodeDataChannel;

export interface WebRtcOptions {
  /** The one UDP port every session shares (ICE UDP mux). */
  readonly port: number;
  /** The address announced in the answer's ICE candidate; none: every local interface address. */
  readonly host: string | undefined;
  /** Sessions at once; 0 turns WebRTC off. */
  readonly maxSessions: number;
  /** A session that has not connected this long after its answer is closed. Default 15 000 ms. */
  readonly connectTimeoutMs?: number;
  /** A connected session from which no RTCP arrived this long is closed. Default 10 000 ms. */
  readonly silenceTimeoutMs?: number;
  /** Most RTP packets kept per session for retransmission on NACK. Default 1024. */
  readonly nackHistory?: number;
}

export interface WebRtcStats {
  readonly active: number;
  readonly started: number;
  readonly ended: number;
  /** Bytes of H.264 (access units, before RTP) handed to viewers' connections. */
  readonly bytesSent: number;
  /** Keyframe requests (PLI/FIR) answered with the cached GOP. */
  readonly keyframeRequests: number;
}

export interface WhepAnswer {
  readonly id: string;
  readonly sdp: string;
}

export interface WebRtcSessions {
  /** Answers a viewer's offer with the video of `source` (a stream's hub; default the one given at creation); throws StreamerError for a bad offer or no room. */
  create(offer: string, source?: VideoHub): Promise<WhepAnswer>;
  /** Ends a session; false when there is none with this id. */
  delete(id: string): boolean;
  has(id: string): boolean;
  stats(): WebRtcStats;
  close(): void;
}

// RTCP payload-specific feedback (RFC 4585): FMT 1 is a picture loss indication, FMT 4 a full intra request (RFC 5104).
function asksForKeyframe(packet: Buffer): boolean {
  for (let offset = 0; offset + 4 <= packet.length; ) {
    const fmt = packet[offset]! & 0x1f;
    const type = packet[offset + 1];
    if (type === 206 && (fmt === 1 || fmt === 4)) return true;
    offset += (packet.readUInt16BE(offset + 2) + 1) * 4;
  }
  return false;
}

// a is after b on the 32-bit RTP clock.
function after(a: number, b: number): boolean {
  const diff = (a - b) >>> 0;
  return diff !== 0 && diff < 2 ** 31;
}

interface Session {
  readonly id: string;
  readonly pc: PeerConnection;
  close(reason: string): void;
}

function gathered(pc: PeerConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pc.gatheringState() === 'complete') return resolve();
    const timer = setTimeout(() => reject(new StreamerError('WEBRTC_UNAVAILABLE', 'Gathering ICE candidates took too long.')), timeoutMs);
    pc.onGatheringStateChange((state) => {
      if (state !== 'complete') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

export function createWebRtcSessions(hub: VideoHub, options: WebRtcOptions, logger: Logger): WebRtcSessions {
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const silenceTimeoutMs = options.silenceTimeoutMs ?? 10_000;
  const sessions = new Map<string, Session>();
  let started = 0;
  let ended = 0;
  let bytesSent = 0;
  let keyframeRequests = 0;
  let closed = false;
  // Loopback stays loopback; any other announced address is reached through every interface (NAT, LAN).
  const loopback = options.host === '127.0.0.1' || options.host === '::1' || options.host === 'localhost';
  const config: RtcConfig = {
    iceServers: [],
    enableIceUdpMux: true,
    portRangeBegin: options.port,
    portRangeEnd: options.port,
    ...(loopback ? { bindAddress: options.host === 'localhost' ? '127.0.0.1' : options.host } : {}),
  };

  const open = (offerSdp: string, offer: VideoOffer, hub: VideoHub): Session & { answer: Promise<string> } => {
    const id = randomBytes(12).toString('base64url');
    const pc = new PeerConnectionClass(`whep-${id}`, config);
    const ssrc = randomInt(1, 2 ** 31);
    const cname = `hls-live-${id.slice(0, 8)}`;
    const video = new Video(offer.mid, 'SendOnly');
    video.addH264Codec(offer.h264.payloadType, offer.h264.fmtp);
    video.addSSRC(ssrc, cname, 'hls-live', 'video');
    if (offer.playoutDelayId !== undefined) video.parseSdpLine(`a=extmap:${offer.playoutDelayId} http://www.webrtc.org/experiments/rtp-hdrext/playout-delay`);
    let track: Track;
    let rtp: RtpPacketizationConfig;
    try {
      track = pc.addTrack(video);
      rtp = new RtpConfigClass(ssrc, cname, offer.h264.payloadType, 90_000);
      if (offer.playoutDelayId !== undefined) {
        // Render each frame as soon as it is decoded: no jitter buffer on loopback or a LAN.
        rtp.playoutDelayId = offer.playoutDelayId;
        rtp.playoutDelayMin = 0;
        rtp.playoutDelayMax = 0;
      }
      const packetizer = new H264RtpPacketizer('StartSequence', rtp);
      packetizer.addToChain(new RtcpSrReporter(rtp));
      packetizer.addToChain(new RtcpNackResponder(options.nackHistory ?? 1024));
      track.setMediaHandler(packetizer);
      pc.setRemoteDescription(withoutCandidates(offerSdp), 'offer');
    } catch (error) {
      pc.close();
      if (error instanceof StreamerError) throw error;
      throw new StreamerError('INVALID_OFFER', `The offer was refused: ${error instanceof Error ? error.message : String(error)}`);
    }

    let lastTs: number | undefined;
    let keyframeSent = false;
    let lastRtcp = Date.now();
    let lastReplay = 0;
    let unsubscribe: (() => void) | undefined;
    let ending = false;

    const send = (unit: AccessUnit, burst: boolean, ts: number) => {
      if (!track.isOpen()) return;
      if (!keyframeSent && !unit.keyframe) return;
      keyframeSent = true;
      rtp.timestamp = ts;
      lastTs = ts;
      try {
        track.sendMessageBinary(Buffer.from(unit.au.buffer, unit.au.byteOffset, unit.au.length));
        bytesSent += unit.au.length;
      } catch (error) {
        logger.debug({ err: error, id, burst }, 'WebRTC send failed');
      }
    };

    // Live frames carry the capture clock; a burst (the cached GOP) is squeezed into the ticks
    // just before the newest frame on joining, or just after the last sent on a keyframe request,
    // so the decoder shows it at once and timestamps never go backwards.
    let burstQueue: AccessUnit[] = [];
    const sink = (unit: AccessUnit, burst: boolean) => {
      if (burst) {
        burstQueue.push(unit);
        return;
      }
      const ts = rtpTimestamp(unit.captureTime);
      send(unit, false, lastTs === undefined || after(ts, lastTs) ? ts : (lastTs + 1) >>> 0);
    };
    const flushBurst = () => {
      const units = burstQueue;
      burstQueue = [];
      if (units.length === 0) return;
      keyframeSent = false;
      const newest = rtpTimestamp(units.at(-1)!.captureTime);
      units.forEach((unit, i) => {
        const ts = lastTs === undefined ? (newest - (units.length - 1 - i)) >>> 0 : (lastTs + 1) >>> 0;
        send(unit, true, ts);
      });
    };

    const timer = setInterval(() => {
      if (track.isOpen() && Date.now() - lastRtcp > silenceTimeoutMs) session.close('no RTCP from the viewer');
    }, 1000);
    timer.unref();
    const connectTimer = setTimeout(() => {
      if (!track.isOpen()) session.close('ICE/DTLS did not complete');
    }, connectTimeoutMs);
    connectTimer.unref();

    track.onOpen(() => {
      lastRtcp = Date.now();
      clearTimeout(connectTimer);
      unsubscribe = hub.subscribe(sink);
      flushBurst();
      logger.info({ id }, 'WebRTC viewer connected');
    });
    track.onMessage((message) => {
      lastRtcp = Date.now();
      if (!asksForKeyframe(message)) return;
      // One replay per second at most: a decoder asks again until the keyframe arrives.
      if (Date.now() - lastReplay < 1000) return;
      lastReplay = Date.now();
      keyframeRequests++;
      if (hub.replay(sink)) flushBurst();
    });
    pc.onStateChange((state) => {
      if (state === 'failed' || state === 'closed') session.close(`connection ${state}`);
    });

    const session = {
      id,
      pc,
      answer: gathered(pc, 5000).then(() => {
        const sdp = pc.localDescription()?.sdp;
        if (!sdp) throw new StreamerError('WEBRTC_UNAVAILABLE', 'No answer was made.');
        return options.host === undefined ? sdp : announceHost(sdp, options.host);
      }),
      close(reason: string) {
        if (ending) return;
        ending = true;
        clearInterval(timer);
        clearTimeout(connectTimer);
        unsubscribe?.();
        burstQueue = [];
        if (sessions.delete(id)) ended++;
        try {
          track.close();
          pc.close();
        } catch (error) {
          logger.debug({ err: error, id }, 'closing a peer connection failed');
        }
        logger.info({ id, reason }, 'WebRTC session ended');
      },
    };
    return session;
  };

  return {
    async create(offerSdp, source = hub) {
      // A bad offer is answered as such (400, 406) whatever the room.
      const offer = parseOffer(offerSdp);
      if (closed || options.maxSessions === 0)
        throw new StreamerError('TOO_MANY_WEBRTC_VIEWERS', 'WebRTC playback is off on this streamer (--max-webrtc-viewers 0).');
      if (sessions.size >= options.maxSessions) {
        throw new StreamerError(
          'TOO_MANY_WEBRTC_VIEWERS',
          `This streamer serves at most ${options.maxSessions} WebRTC viewers (--max-webrtc-viewers); try again later or use HLS.`,
        );
      }
      const session = open(offerSdp, offer, source);
      sessions.set(session.id, session);
      started++;
      try {
        return { id: session.id, sdp: await session.answer };
      } catch (error) {
        session.close('no answer');
        throw error;
      }
    },
    delete(id) {
      const session = sessions.get(id);
      if (!session) return false;
      session.close('DELETE');
      return true;
    },
    has: (id) => sessions.has(id),
    stats: () => ({ active: sessions.size, started, ended, bytesSent, keyframeRequests }),
    close() {
      closed = true;
      for (const session of [...sessions.values()]) session.close('streamer shutting down');
    },
  };
}
