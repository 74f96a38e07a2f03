// A WHIP publisher made of node-datachannel (the sending side of a browser or OBS): it offers
// H.264 (and Opus, as OBS does), POSTs the offer, and sends a real H.264 stream made by ffmpeg,
// frame by frame at its rate, packetized by libdatachannel's H264RtpPacketizer (FU-A, single NAL).
// With `keyframesOnRequest` it acts as a browser encoder does: it starts mid-GOP, sends an IDR only
// when the receiver asks (RTCP PLI or FIR), packetizes itself, and can lose packets on purpose.
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
  /** Starts after the stream's first IDR and sends an IDR (with its SPS/PPS) only when asked by a
   * PLI or FIR, no sooner than `keyframeDelayMs` after the ask; packetizes the RTP itself. */
  keyframesOnRequest?: boolean;
  keyframeDelayMs?: number;
}

/** RTCP feedback the sender got on its video track, and the IDRs it sent: `Date.now()` of each. */
export interface SenderFeedback {
  pli: number[];
  fir: number[];
  keyframesSent: number[];
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
  readonly feedback: SenderFeedback;
  /** Loses the next `count` RTP packets (their sequence numbers are skipped); `keyframesOnRequest` only. */
  drop(count: number): void;
}

/** The NAL units of an Annex B access unit, without their start codes. */
function nalUnits(frame: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < frame.length; i++) if (frame[i] === 0 && frame[i + 1] === 0 && frame[i + 2] === 1) starts.push(i + 3);
  return starts.map((start, k) => {
    let end = starts[k + 1] === undefined ? frame.length : starts[k + 1]! - 3;
    if (starts[k + 1] !== undefined && frame[end - 1] === 0) end--;
    return frame.subarray(start, end);
  });
}

export const isIdr = (frame: Buffer): boolean => nalUnits(frame).some((nal) => (nal[0]! & 0x1f) === 5);

/** RFC 6184 payloads of one access unit: single NAL units, FU-A past `mtu`. */
function h264Payloads(frame: Buffer, mtu: number): Buffer[] {
  const payloads: Buffer[] = [];
  for (const nal of nalUnits(frame)) {
    if (nal.length <= mtu) {
      payloads.push(nal);
      continue;
    }
    const indicator = (nal[0]! & 0xe0) | 28;
    const type = nal[0]! & 0x1f;
    for (let at = 1; at < nal.length; at += mtu - 2) {
      const end = Math.min(at + mtu - 2, nal.length);
      const header = type | (at === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0);
      payloads.push(Buffer.concat([Buffer.from([indicator, header]), nal.subarray(at, end)]));
    }
  }
  return payloads;
}

/** Counts the PLIs (PSFB 206, FMT 1) and FIRs (FMT 4) in a compound RTCP packet. */
function readFeedback(message: Buffer, feedback: SenderFeedback, onAsk: () => void): void {
  for (let at = 0; at + 4 <= message.length; at += (message.readUInt16BE(at + 2) + 1) * 4) {
    if (message[at + 1] !== 206) continue;
    const fmt = message[at]! & 0x1f;
    if (fmt === 1) feedback.pli.push(Date.now());
    if (fmt === 4) feedback.fir.push(Date.now());
    if (fmt === 1 || fmt === 4) onAsk();
  }
}

export async function makeOffer(
  audio: boolean,
  packetize = true,
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
  if (packetize) track.setMediaHandler(packetizer);
  pc.setLocalDescription();
  await new Promise<void>((resolve) => {
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
    if (pc.gatheringState() === 'complete') resolve();
  });
  return { pc, track, config, offer: pc.localDescription()!.sdp };
}

/**
 * The stand-in browser. node-datachannel as the sending peer sometimes (a few runs in ten on a
 * loaded machine) throws "Got a remote candidate without ICE transport" from its own
 * setRemoteDescription while the publisher's answer is fine (the same answer works on the next
 * try, and Chromium never fails it), or sometimes never connects: such an attempt is taken back
 * with DELETE and made again,
 * so the tests judge the publisher, not that client's start-up race.
 */
export async function startWhipSender(options: WhipSenderOptions): Promise<WhipSender> {
  let retrying = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectWhipSender(options, retrying);
    } catch (error) {
      if (attempt >= 20 || !(error instanceof SenderStartError)) throw error instanceof SenderStartError ? error.cause : error;
      await error.undo();
      retrying = true;
      // The publisher ends the taken-back session asynchronously: until then it answers 409.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** How long the stand-in sender waits for its track to open after the answer. */
const SENDER_CONNECT_MS = 5000;

/** The sender's own setRemoteDescription failed, or it did not connect, after the publisher answered 201. */
class SenderStartError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly undo: () => Promise<unknown>,
  ) {
    super('the sending peer could not take the answer');
  }
}

async function connectWhipSender(options: WhipSenderOptions, retrying: boolean): Promise<WhipSender> {
  const onRequest = options.keyframesOnRequest ?? false;
  const { pc, track, config, offer } = await makeOffer(options.audio ?? false, !onRequest);
  const feedback: SenderFeedback = { pli: [], fir: [], keyframesSent: [] };
  let keyframeDueAt: number | undefined;
  // A send-only track hands the receiver's RTCP (its feedback) to onMessage.
  track.onMessage((message) =>
    readFeedback(message, feedback, () => {
      keyframeDueAt ??= Date.now() + (options.keyframeDelayMs ?? 0);
    }),
  );
  let sequence = 1000;
  let toDrop = 0;
  const sendRtp = (frame: Buffer, timestamp: number) => {
    const payloads = h264Payloads(frame, 1200);
    payloads.forEach((payload, k) => {
      const header = Buffer.alloc(12);
      header[0] = 0x80;
      header[1] = 96 | (k === payloads.length - 1 ? 0x80 : 0);
      header.writeUInt16BE(sequence, 2);
      header.writeUInt32BE(timestamp, 4);
      header.writeUInt32BE(4242, 8);
      sequence = (sequence + 1) & 0xffff;
      if (toDrop > 0) toDrop--;
      else track.sendMessageBinary(Buffer.concat([header, payload]));
    });
  };
  const res = await fetch(`${options.url}/whip`, {
    method: 'POST',
    body: offer,
    headers: { 'Content-Type': 'application/sdp', ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  });
  const body = await res.text();
  const location = res.headers.get('location') ?? undefined;
  if (retrying && res.status === 409) {
    pc.close();
    throw new SenderStartError(new Error('the publisher still holds the session taken back'), async () => undefined);
  }
  if (res.status === 201) {
    const undo = () => fetch(new URL(location!, options.url), { method: 'DELETE', headers: options.token ? { Authorization: `Bearer ${options.token}` } : {} });
    try {
      pc.setRemoteDescription(body, 'answer');
    } catch (error) {
      pc.close();
      throw new SenderStartError(error, undo);
    }
    // The same client now and then never connects (no ICE/DTLS, the track never opens) although
    // the answer is fine: also taken back and made again. Chromium's connects in well under this.
    const deadline = Date.now() + SENDER_CONNECT_MS;
    while (!track.isOpen() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!track.isOpen()) {
      pc.close();
      throw new SenderStartError(new Error(`the sending peer did not connect within ${SENDER_CONNECT_MS} ms`), undo);
    }
  }
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
      if (onRequest) {
        // Mid-GOP: the first frame after the first IDR, and no IDR until one is asked for.
        i = frames.findIndex(isIdr) + 1;
        let timestamp = 90_000;
        timer = setInterval(() => {
          if (!track.isOpen()) return;
          timestamp = (timestamp + step) >>> 0;
          const now = Date.now();
          const wanted = keyframeDueAt !== undefined && now >= keyframeDueAt;
          while (isIdr(frames[i % frames.length]!) !== wanted) i++;
          if (wanted) {
            keyframeDueAt = undefined;
            feedback.keyframesSent.push(now);
          }
          sendRtp(frames[i++ % frames.length]!, timestamp);
        }, 1000 / fps);
        return;
      }
      timer = setInterval(() => {
        if (!track.isOpen()) return;
        config.timestamp = (config.timestamp + step) >>> 0;
        track.sendMessageBinary(frames[i++ % frames.length]!);
      }, 1000 / fps);
    },
    pause: stop,
    feedback,
    drop(count) {
      toDrop += count;
    },
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
