// A WHIP publisher made of node-datachannel (the sending side of a browser or OBS): it offers
// H.264 (and Opus, as OBS does), POSTs the offer, and sends a real H.264 stream made by ffmpeg,
// frame by frame at its rate, packetized by libdatachannel's H264RtpPacketizer (FU-A, single NAL).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import nodeDataChannel from 'node-datachannel';

const run = promisify(execFile);

/** An Annex B H.264 file split into access units (one per frame). */
export async function h264Frames(path: string): Promise<Buffer[]> {
  const data = await readFile(path);
  const starts: number[] = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) starts.push(i > 0 && data[i - 1] === 0 ? i - 1 : i);
  }
  const frames: Buffer[] = [];
  let frame: Buffer[] = [];
  starts.forEach((start, k) => {
    const nal = data.subarray(start, starts[k + 1] ?? data.length);
    frame.push(nal);
    const type = nal[nal[2] === 1 ? 3 : 4]! & 0x1f;
    if (type === 1 || type === 5) {
      frames.push(Buffer.concat(frame));
      frame = [];
    }
  });
  return frames;
}

/** Makes `seconds` of H.264 (constrained baseline, as browsers send) from ffmpeg's test pattern. */
export async function makeH264(path: string, options: { size?: string; fps?: number; seconds?: number; gop?: number } = {}): Promise<void> {
  const { size = '320x240', fps = 30, seconds = 4, gop = 60 } = options;
  await run('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=${fps}`,
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-g',
    String(gop),
    '-bf',
    '0',
    '-x264-params',
    'repeat-headers=1',
    '-f',
    'h264',
    path,
  ]);
}

export interface WhipSenderOptions {
  url: string;
  token?: string;
  audio?: boolean;
  /** Extra or replaced request headers. */
  headers?: Record<string, string>;
}

export interface WhipSender {
  /** The POST's answer. */
  status: number;
  location: string | undefined;
  body: string;
  /** Sends frames at `fps` until `pause()`; loops over `frames`. */
  play(frames: Buffer[], fps: number): void;
  /** Stops sending; the connection stays open (a stalled or vanished publisher). */
  pause(): void;
  /** Closes the connection without DELETE (a tab closed). */
  close(): void;
  /** DELETE on the session URL; returns its status. */
  remove(): Promise<number>;
}

export async function makeOffer(
  audio: boolean,
): Promise<{ pc: nodeDataChannel.PeerConnection; track: nodeDataChannel.Track; config: nodeDataChannel.RtpPacketizationConfig; offer: string }> {
  const pc = new nodeDataChannel.PeerConnection('sender', { iceServers: [], bindAddress: '127.0.0.1' });
  const video = new nodeDataChannel.Video('0', 'SendOnly');
  video.addH264Codec(96);
  video.addSSRC(4242, 'whip-test', 'stream', 'video');
  const track = pc.addTrack(video);
  if (audio) {
    const sound = new nodeDataChannel.Audio('1', 'SendOnly');
    sound.addOpusCodec(111);
    sound.addSSRC(4343, 'whip-test', 'stream', 'audio');
    pc.addTrack(sound);
  }
  const config = new nodeDataChannel.RtpPacketizationConfig(4242, 'whip-test', 96, 90_000);
  const packetizer = new nodeDataChannel.H264RtpPacketizer('StartSequence', config, 1200);
  packetizer.addToChain(new nodeDataChannel.RtcpSrReporter(config));
  packetizer.addToChain(new nodeDataChannel.RtcpNackResponder());
  track.setMediaHandler(packetizer);
  pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
    if (pc.gatheringState() === 'complete') resolve();
  });
  return { pc, track, config, offer: pc.localDescription()!.sdp };
}

export async function startWhipSender(options: WhipSenderOptions): Promise<WhipSender> {
  const { pc, track, config, offer } = await makeOffer(options.audio ?? false);
  const res = await fetch(`${options.url}/whip`, {
    method: 'POST',
    body: offer,
    headers: { 'Content-Type': 'application/sdp', ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  });
  const body = await res.text();
  const location = res.headers.get('location') ?? undefined;
  if (res.status === 201) pc.setRemoteDescription(body, 'answer');
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearInterval(timer);
  return {
    status: res.status,
    location,
    body,
    play(frames, fps) {
      stop();
      let i = 0;
      const step = Math.round(90_000 / fps);
      timer = setInterval(() => {
        if (!track.isOpen()) return;
        config.timestamp = (config.timestamp + step) >>> 0;
        track.sendMessageBinary(frames[i++ % frames.length]!);
      }, 1000 / fps);
    },
    pause: stop,
    close() {
      stop();
      pc.close();
    },
    async remove() {
      stop();
      const answer = await fetch(new URL(location!, options.url), {
        method: 'DELETE',
        headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
      });
      pc.close();
      return answer.status;
    },
  };
}
