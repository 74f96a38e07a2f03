// @ts-check
// WebRTC playback over WHEP (RFC 9725): the page offers to receive video, POSTs the offer to the
// streamer's WHEP endpoint, plays the answer's track in a <video>, and DELETEs its session when
// it stops (or the page goes away). The streamer forwards the publisher's own H.264 with RTP
// timestamps on the capture clock (90 kHz, ms since the epoch), which gives the latency figure.
import { NO_STATS, RETRY_DELAY_MS, play, videoIn } from './engine.js';

/** @typedef {import('./engine.js').PlayerEngine} PlayerEngine */
/** @typedef {import('./engine.js').EngineEvents} EngineEvents */
/** @typedef {import('./engine.js').EngineStats} EngineStats */

const RTP_WRAP = 2 ** 32;

/**
 * Capture time (ms epoch) of a frame from its RTP timestamp, which is the capture clock at 90 kHz
 * modulo 2^32 (about 47.7 s): the latest such time not after `now`.
 * @param {number} rtpTimestamp
 * @param {number} now
 */
export function captureTimeOf(rtpTimestamp, now) {
  const behind = (((Math.round(now * 90) - rtpTimestamp) % RTP_WRAP) + RTP_WRAP) % RTP_WRAP;
  return now - behind / 90;
}

/**
 * @param {EngineEvents} events
 * @returns {PlayerEngine}
 */
export function createWebRtcEngine(events) {
  /** @type {HTMLVideoElement | null} */
  let video = null;
  /** @type {RTCPeerConnection | null} */
  let pc = null;
  /** @type {string | null} */
  let session = null;
  let active = false;
  let url = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;
  /** @type {number | null} */
  let latency = null;
  let bytes = 0;
  let bytesAt = 0;
  /** @type {number | null} */
  let bitrate = null;

  const leave = () => {
    const location = session;
    session = null;
    pc?.close();
    pc = null;
    // keepalive: the DELETE still goes out when the page is being closed.
    if (location) void fetch(location, { method: 'DELETE', keepalive: true }).catch(() => {});
  };

  const fail = (/** @type {string} */ text) => {
    if (!active) return;
    events.error(text, true);
    leave();
    clearTimeout(retry);
    retry = setTimeout(() => {
      if (!active) return;
      events.recovering();
      void connect();
    }, RETRY_DELAY_MS);
  };

  // Each frame shown: its capture time from the RTP timestamp, against this machine's clock.
  const watchFrames = () => {
    const v = video;
    if (!v || !('requestVideoFrameCallback' in v)) return;
    /** @type {VideoFrameRequestCallback} */
    const onFrame = (_now, metadata) => {
      if (metadata.rtpTimestamp !== undefined) {
        const now = performance.timeOrigin + (metadata.presentationTime ?? performance.now());
        latency = (now - captureTimeOf(metadata.rtpTimestamp, now)) / 1000;
      }
      if (active && v === video) v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  };

  const connect = async () => {
    const peer = new RTCPeerConnection();
    pc = peer;
    peer.addTransceiver('video', { direction: 'recvonly' });
    peer.addEventListener('track', (event) => {
      if (!video || peer !== pc) return;
      video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      play(video);
      watchFrames();
    });
    peer.addEventListener('connectionstatechange', () => {
      if (peer !== pc) return;
      if (peer.connectionState === 'failed' || peer.connectionState === 'closed') fail(`WebRTC connection ${peer.connectionState}`);
      else if (peer.connectionState === 'disconnected') events.state('waiting');
    });
    try {
      await peer.setLocalDescription(await peer.createOffer());
      // No trickle: the offer goes with every candidate, and so does the answer.
      await new Promise((resolve) => {
        if (peer.iceGatheringState === 'complete') return resolve(undefined);
        const done = () => peer.iceGatheringState === 'complete' && resolve(undefined);
        peer.addEventListener('icegatheringstatechange', done);
        setTimeout(resolve, 2000);
      });
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: peer.localDescription?.sdp ?? '' });
      if (res.status !== 201) {
        /** @type {{ error?: { code?: string, message?: string } } | null} */
        const body = await res.json().catch(() => null);
        throw new Error(`WHEP answered ${res.status}${body?.error ? ` ${body.error.code}: ${body.error.message}` : ''}`);
      }
      const location = res.headers.get('Location');
      if (peer !== pc) {
        if (location) void fetch(new URL(location, res.url), { method: 'DELETE' }).catch(() => {});
        return;
      }
      session = location ? new URL(location, res.url).href : null;
      await peer.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    } catch (error) {
      if (peer === pc) fail(error instanceof Error ? error.message : String(error));
    }
  };

  const onPageHide = () => leave();

  return {
    name: 'WebRTC (WHEP)',
    attach(container) {
      if (video) return;
      video = videoIn(container);
      for (const state of /** @type {const} */ (['playing', 'waiting'])) {
        video.addEventListener(state, () => {
          if (active && video?.srcObject) events.state(state);
        });
      }
    },
    start(source) {
      if (!video) throw new Error('attach() before start()');
      active = true;
      url = new URL(source, location.href).href;
      latency = null;
      video.hidden = false;
      addEventListener('pagehide', onPageHide);
      void connect();
    },
    stop() {
      active = false;
      clearTimeout(retry);
      removeEventListener('pagehide', onPageHide);
      leave();
      if (video) video.srcObject = null;
    },
    stats() {
      const peer = pc;
      if (peer) {
        void peer.getStats().then((reports) => {
          reports.forEach((/** @type {{ type: string, kind?: string, bytesReceived?: number, timestamp: number }} */ report) => {
            if (report.type !== 'inbound-rtp' || report.kind !== 'video' || report.bytesReceived === undefined) return;
            if (bytesAt && report.timestamp > bytesAt) bitrate = ((report.bytesReceived - bytes) * 8000) / (report.timestamp - bytesAt);
            bytes = report.bytesReceived;
            bytesAt = report.timestamp;
          });
        });
      }
      /** @type {EngineStats} */
      const stats = { ...NO_STATS, latency, bitrate, buffer: 0 };
      return stats;
    },
  };
}
