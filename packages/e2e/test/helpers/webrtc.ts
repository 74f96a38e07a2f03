// Receive-only WebRTC viewers made with node-datachannel (loopback only), for load tests.
import { createSocket } from 'node:dgram';
import nodeDataChannel from 'node-datachannel';

/** A free UDP port below the ephemeral range, so no peer is handed the same number. */
export async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      socket.once('error', () => resolve(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface PeerViewer {
  /** Frames (RTP packets with the marker bit) received. */
  frames: number;
  /** Longest time between two frames, ms, once the first has come. */
  longestGapMs: number;
  /** Stops counting and closes the connection; DELETEs the session. */
  leave(): Promise<void>;
}

/** Watches `baseUrl` over WHEP with a node-datachannel peer bound to 127.0.0.1. */
export async function watchWithPeer(baseUrl: string): Promise<PeerViewer> {
  const pc = new nodeDataChannel.PeerConnection('load', { iceServers: [], bindAddress: '127.0.0.1' });
  const video = new nodeDataChannel.Video('0', 'RecvOnly');
  video.addH264Codec(102, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
  const track = pc.addTrack(video);
  track.setMediaHandler(new nodeDataChannel.RtcpReceivingSession());
  let last = 0;
  const viewer: PeerViewer = { frames: 0, longestGapMs: 0, leave: async () => {} };
  track.onMessage((packet) => {
    if (packet.length < 12 || (packet[1]! & 0x7f) !== 102 || (packet[1]! & 0x80) === 0) return;
    const now = Date.now();
    if (last) viewer.longestGapMs = Math.max(viewer.longestGapMs, now - last);
    last = now;
    viewer.frames++;
  });
  pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    if (pc.gatheringState() === 'complete') return resolve();
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
  });
  const res = await fetch(`${baseUrl}/whep`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription()!.sdp });
  if (res.status !== 201) throw new Error(`WHEP answered ${res.status}: ${await res.text()}`);
  const location = new URL(res.headers.get('Location')!, baseUrl).href;
  pc.setRemoteDescription(await res.text(), 'answer');
  viewer.leave = async () => {
    track.close();
    pc.close();
    await fetch(location, { method: 'DELETE' });
  };
  return viewer;
}
