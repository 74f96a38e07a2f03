// One WHIP publisher: a node-datachannel peer connection answering its offer (video received,
// audio accepted and ignored), RTP -> jitter buffer -> depacketizer -> IVF frames into the sink
// the pipeline attaches. Keyframes are asked for (PLI) at start, after a loss, and every
// `keyframeIntervalMs`; a publisher that stops sending or whose connection fails is ended.
import type { Writable } from 'node:stream';
import nodeDataChannel from 'node-datachannel';
import type { Logger } from 'pino';
import type { IngestSession } from '../pipeline/ingest.js';
import { createH264Depacketizer } from './h264.js';
import { createTimeline, ivfFrame, ivfHeader } from './ivf.js';
import { createJitterBuffer } from './jitter.js';
import { parseRtp } from './rtp.js';
import type { Offer, VideoChoice } from './sdp.js';
import type { Depacketizer } from './unit.js';
import { createVp8Depacketizer } from './vp8.js';

export type EndReason = 'deleted' | 'vanished' | 'failed' | 'stopped';

export interface SessionTimings {
  /** No RTP for this long (once connected) ends the session. Default 4000 ms. */
  idleTimeoutMs?: number;
  /** Not connected this long after the answer ends the session. Default 15 000 ms. */
  connectTimeoutMs?: number;
  /** A keyframe is asked for this often even when nothing is lost. Default 10 000 ms. */
  keyframeIntervalMs?: number;
}

export interface WhipSessionOptions extends SessionTimings {
  id: string;
  sdp: string;
  offer: Offer;
  video: VideoChoice;
  /** Address the peer connection's ICE binds (and so announces). Default: every interface. */
  iceAddress?: string | undefined;
  logger: Logger;
  onEnd(session: WhipSession, reason: EndReason): void;
}

export interface WhipSession extends IngestSession {
  readonly codec: VideoChoice['codec'];
  readonly answer: string;
  /** Ends the session (idempotent); `onEnd` is called once. */
  close(reason: EndReason): void;
  stats(): { packets: number; units: number; lost: number; dropped: number; keyframeRequests: number };
}

/** Writes in flight past this (a capture that does not keep up) drop frames until the next keyframe. */
const MAX_SINK_BYTES = 4 * 1024 * 1024;
const KEYFRAME_RETRY_MS = 500;
const TICK_MS = 100;

function waitGathered(pc: nodeDataChannel.PeerConnection, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    pc.onGatheringStateChange((state) => {
      if (state === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
    if (pc.gatheringState() === 'complete') {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Answers the offer; throws (a libdatachannel error) when the offer cannot be answered. */
export async function createWhipSession(options: WhipSessionOptions): Promise<WhipSession> {
  const { logger, video } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 4000;
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const keyframeIntervalMs = options.keyframeIntervalMs ?? 10_000;
  const pc = new nodeDataChannel.PeerConnection(options.id, {
    iceServers: [],
    ...(options.iceAddress ? { bindAddress: options.iceAddress } : {}),
  });
  const media = new nodeDataChannel.Video(video.mid, 'RecvOnly');
  if (video.codec === 'h264') media.addH264Codec(video.payloadType, video.fmtp || undefined);
  else media.addVP8Codec(video.payloadType);
  const track = pc.addTrack(media);
  track.setMediaHandler(new nodeDataChannel.RtcpReceivingSession());
  // Audio is answered (OBS and browsers send it) and its packets ignored.
  for (const m of options.offer.media) {
    const opus = m.kind === 'audio' && m.mid !== undefined && m.formats.find((f) => f.codec.toLowerCase() === 'opus');
    if (opus) {
      const audio = new nodeDataChannel.Audio(m.mid!, 'RecvOnly');
      audio.addOpusCodec(opus.payloadType, opus.fmtp || undefined);
      // A track nobody reads would queue its packets: they are dropped here instead.
      pc.addTrack(audio).onMessage(() => {});
    }
  }

  const jitter = createJitterBuffer();
  const depacketizer: Depacketizer = video.codec === 'h264' ? createH264Depacketizer() : createVp8Depacketizer();
  let sink: Writable | undefined;
  let timeline = createTimeline();
  let packets = 0;
  let keyframeRequests = 0;
  let written = 0;
  let lastPacketAt = 0;
  let lastKeyframeAskAt = 0;
  let connectedAt = 0;
  const createdAt = Date.now();
  let ended = false;
  let session: WhipSession | undefined;

  const askKeyframe = (now: number) => {
    lastKeyframeAskAt = now;
    if (track.isOpen() && track.requestKeyframe()) keyframeRequests++;
    logger.debug({ session: options.id, waiting: depacketizer.waiting, packets, keyframeRequests }, 'WHIP keyframe asked for');
  };

  const deliver = (now: number, ordered: ReturnType<typeof jitter.push>) => {
    for (const { packet, lostBefore } of ordered) {
      if (lostBefore) depacketizer.lost();
      for (const unit of depacketizer.push(packet)) {
        if (!sink) continue;
        if (sink.writableLength > MAX_SINK_BYTES) {
          depacketizer.restart();
          continue;
        }
        if (written++ === 0 || unit.keyframe)
          logger.debug({ session: options.id, keyframe: unit.keyframe, bytes: unit.data.length, written }, 'WHIP frame to capture');
        for (const chunk of ivfFrame(unit.data, timeline(unit.timestamp))) sink.write(chunk);
      }
    }
    if (depacketizer.waiting && now - lastKeyframeAskAt >= KEYFRAME_RETRY_MS) askKeyframe(now);
  };

  track.onMessage((message) => {
    const packet = parseRtp(message);
    // Other payload types on the video track are retransmissions (RTX) we did not negotiate.
    if (!packet || packet.payloadType !== video.payloadType || ended) return;
    packets++;
    const now = Date.now();
    lastPacketAt = now;
    deliver(now, jitter.push(packet, now));
  });

  const tick = setInterval(() => {
    const now = Date.now();
    deliver(now, jitter.poll(now));
    if (connectedAt && now - lastKeyframeAskAt >= keyframeIntervalMs) askKeyframe(now);
    if (connectedAt && now - Math.max(lastPacketAt, connectedAt) > idleTimeoutMs) session?.close('vanished');
    else if (!connectedAt && now - createdAt > connectTimeoutMs) session?.close('vanished');
  }, TICK_MS);
  tick.unref();

  // Sections answered as offered (another codec's audio, data): read and dropped likewise.
  pc.onTrack((other) => other.onMessage(() => {}));
  pc.onStateChange((state) => {
    logger.debug({ session: options.id, state }, 'WHIP peer connection state');
    if (state === 'connected' && !connectedAt) {
      connectedAt = Date.now();
      askKeyframe(connectedAt);
    } else if (state === 'disconnected' || state === 'failed' || state === 'closed') {
      // Deferred: libdatachannel calls back on its own thread's turn, inside pc.close() too.
      setImmediate(() => session?.close('vanished'));
    }
  });

  try {
    pc.setRemoteDescription(options.sdp, 'offer');
    await waitGathered(pc, 5000);
  } catch (error) {
    clearInterval(tick);
    pc.close();
    throw error;
  }
  const answer = pc.localDescription()?.sdp;
  if (!answer) {
    clearInterval(tick);
    pc.close();
    throw new Error('no local description after the offer');
  }

  const created: WhipSession = {
    id: options.id,
    codec: video.codec,
    answer,
    attach(next) {
      sink = next;
      timeline = createTimeline();
      depacketizer.restart();
      next.write(ivfHeader(video.codec));
      askKeyframe(Date.now());
    },
    detach() {
      sink = undefined;
    },
    close(reason) {
      if (ended) return;
      ended = true;
      clearInterval(tick);
      sink = undefined;
      try {
        pc.close();
      } catch (error) {
        logger.debug({ err: error }, 'closing the WHIP peer connection failed');
      }
      logger.info({ session: options.id, reason, packets, ...depacketizer.stats, lost: jitter.stats.lost }, 'WHIP publisher ended');
      options.onEnd(created, reason);
    },
    stats: () => ({ packets, units: depacketizer.stats.units, lost: jitter.stats.lost, dropped: depacketizer.stats.dropped, keyframeRequests }),
  };
  session = created;
  // A connection that failed while candidates were gathered ends now that the session exists.
  if (pc.state() === 'failed' || pc.state() === 'closed') setImmediate(() => created.close('vanished'));
  return created;
}
