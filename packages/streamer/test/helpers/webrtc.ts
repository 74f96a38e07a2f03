// WebRTC test tools: a real H.264 stream made by ffmpeg and cut into access units, a publisher
// that sends them over the live WebSocket exactly as hls-publish does (on demand), and
// receive-only viewer peers made with node-datachannel that count what they get.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import nodeDataChannel from 'node-datachannel';
import { WebSocket } from 'ws';
import { AccessUnitSplitter, encodeVideoMessage, isKeyframe, parseLiveDemand, type LiveDemand } from '@hls-live/protocol';

const run = promisify(execFile);

/** `frames` access units of testsrc2 at `size`, 30 fps, constrained baseline, a keyframe every `gop` frames. */
export async function makeAccessUnits(frames = 90, size = '320x240', gop = 30): Promise<Uint8Array[]> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=30`,
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-tune',
      'zerolatency',
      '-g',
      String(gop),
      '-f',
      'h264',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  const splitter = new AccessUnitSplitter();
  const units = [...splitter.push(stdout), ...splitter.flush()];
  if (units.length !== frames || !isKeyframe(units[0]!)) throw new Error(`expected ${frames} access units from a keyframe, got ${units.length}`);
  return units;
}

/**
 * A UDP port free on loopback right now (for --webrtc-port), below the ephemeral range: peers
 * bind ephemeral ports, and libjuice sets SO_REUSEADDR, so a mux port from that range could be
 * shared with a viewer peer that happened to be given the same number.
 */
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

export interface LivePublisher {
  readonly demands: LiveDemand[];
  /** Access units sent so far. */
  sent: number;
  close(): Promise<void>;
}

/**
 * Connects to the live WebSocket and, while the streamer asks for video, sends `units` round and
 * round at `fps`, each with the wall clock as its capture time. Like hls-publish, it starts each
 * run of demand from a keyframe.
 */
export function feedVideo(port: number, units: readonly Uint8Array[], fps = 30, token?: string, stream?: string): Promise<LivePublisher> {
  const headers = { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(stream ? { 'X-Stream': stream } : {}) };
  const ws = new WebSocket(`ws://127.0.0.1:${port}/publish/mjpeg`, { headers });
  const publisher: LivePublisher = {
    demands: [],
    sent: 0,
    async close() {
      clearInterval(timer);
      if (ws.readyState === ws.CLOSED) return;
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      await closed;
    },
  };
  let wanted = false;
  let index = 0;
  const timer = setInterval(() => {
    if (!wanted || ws.readyState !== ws.OPEN) return;
    ws.send(encodeVideoMessage(Date.now(), units[index % units.length]!));
    index++;
    publisher.sent++;
  }, 1000 / fps);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const demand = parseLiveDemand(String(data));
    if (!demand) return;
    publisher.demands.push(demand);
    // A new run of demand starts at the first access unit (a keyframe).
    if (demand.video && !wanted) index = 0;
    wanted = demand.video;
  });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => resolve(publisher));
  });
}

export interface ViewerPeer {
  readonly offer: string;
  /** RTP packets, frames (marker bit), keyframes (an IDR or SPS in a frame's first packet), bytes. */
  readonly counts: { packets: number; frames: number; keyframes: number; bytes: number };
  /** Epoch ms of the first RTP packet. */
  firstPacketAt: number | undefined;
  /** RTP timestamps of the frames' last packets, in arrival order. */
  readonly timestamps: number[];
  state(): string;
  accept(answer: string): void;
  close(): void;
}

const NDC = nodeDataChannel;

/** A receive-only node-datachannel peer offering H.264 (packetization-mode 1) on loopback. */
export async function createViewerPeer(options: { codec?: 'H264' | 'VP8'; mode?: 0 | 1 } = {}): Promise<ViewerPeer> {
  const pc = new NDC.PeerConnection('viewer', { iceServers: [], bindAddress: '127.0.0.1' });
  const video = new NDC.Video('0', 'RecvOnly');
  if ((options.codec ?? 'H264') === 'H264')
    video.addH264Codec(102, `level-asymmetry-allowed=1;packetization-mode=${options.mode ?? 1};profile-level-id=42e01f`);
  else video.addVP8Codec(96);
  const track = pc.addTrack(video);
  track.setMediaHandler(new NDC.RtcpReceivingSession());
  let startOfFrame = true;
  const peer: ViewerPeer = {
    offer: '',
    counts: { packets: 0, frames: 0, keyframes: 0, bytes: 0 },
    firstPacketAt: undefined,
    timestamps: [],
    state: () => pc.state(),
    accept: (answer) => pc.setRemoteDescription(answer, 'answer'),
    close() {
      try {
        track.close();
        pc.close();
      } catch {
        // already closed
      }
    },
  };
  track.onMessage((packet) => {
    if (packet.length < 12 || (packet[1]! & 0x7f) !== 102) return;
    peer.firstPacketAt ??= Date.now();
    peer.counts.packets++;
    peer.counts.bytes += packet.length;
    const headerLength = 12 + (packet[0]! & 0x0f) * 4 + ((packet[0]! & 0x10) !== 0 ? 4 + packet.readUInt16BE(12 + (packet[0]! & 0x0f) * 4 + 2) * 4 : 0);
    if (startOfFrame) {
      const nal = packet[headerLength]! & 0x1f;
      // STAP-A (24) starts with SPS in x264's keyframes; FU-A (28) names its NAL type in the next byte.
      const inner = nal === 28 ? packet[headerLength + 1]! & 0x1f : nal === 24 ? packet[headerLength + 3]! & 0x1f : nal;
      if (inner === 5 || inner === 7) peer.counts.keyframes++;
    }
    startOfFrame = (packet[1]! & 0x80) !== 0;
    if (startOfFrame) {
      peer.counts.frames++;
      peer.timestamps.push(packet.readUInt32BE(4));
    }
  });
  pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    if (pc.gatheringState() === 'complete') return resolve();
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
  });
  return Object.assign(peer, { offer: pc.localDescription()!.sdp });
}

export async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
