// The publisher's side of WebRTC playback: the encoder's own H.264 (a second output of the same
// encode, on its fd 3: ffmpeg/args.ts), cut into access units, each dated by the capture clock
// (frame n is access unit n: the encoder makes no B-frames), sent to the streamer over the live
// WebSocket only while it asks for video (docs/PROTOCOL.md, "Live video for WebRTC").
//
// The feed keeps the current GOP. When the streamer starts asking, it sends that GOP first, so
// the streamer can start its viewers from a keyframe at once; an access unit the socket could
// not take (backpressure) stops the feed until the next keyframe, as the ones after it would not
// decode.
import type { Readable } from 'node:stream';
import { AccessUnitSplitter, isKeyframe } from '@hls-live/protocol';
import { OptionError } from '../errors.js';

/** What the feed needs of the live WebSocket (the MJPEG sender is one). */
export interface VideoChannel {
  readonly videoDemand: boolean;
  /** False when the access unit was not sent (not connected, not wanted, or the socket is backed up). */
  sendVideo(au: Uint8Array, captureTime: number): boolean;
}

export interface VideoFeedStats {
  /** Access units read from the encoder. */
  readonly units: number;
  readonly sent: number;
  /** Access units not sent for backpressure, or skipped while waiting for a keyframe after one. */
  readonly dropped: number;
}

export interface VideoFeed {
  /** Reads one encoder run's H.264 from `stream`; `timeOf(n)` is the capture time of frame n of that run. */
  attach(stream: Readable, timeOf: (index: number) => number | undefined): void;
  /** The streamer's video demand changed: on a rise, the current GOP goes first. */
  demandChanged(video: boolean): void;
  stats(): VideoFeedStats;
}

interface Unit {
  readonly au: Uint8Array;
  readonly captureTime: number;
}

export function createVideoFeed(channel: VideoChannel, options: { maxGopFrames?: number } = {}): VideoFeed {
  const maxGopFrames = options.maxGopFrames ?? 600;
  let gop: Unit[] = [];
  // Sending stopped after a drop (or before the first keyframe): wait for the next keyframe.
  let broken = true;
  let units = 0;
  let sent = 0;
  let dropped = 0;
  let run = 0;
  let wanted = false;

  const send = (unit: Unit) => {
    if (channel.sendVideo(unit.au, unit.captureTime)) {
      sent++;
      return true;
    }
    dropped++;
    broken = true;
    return false;
  };

  const sendGop = () => {
    broken = gop.length === 0;
    for (const unit of gop) if (!send(unit)) return;
  };

  const onUnit = (unit: Unit, keyframe: boolean) => {
    units++;
    if (keyframe) gop = [];
    gop.push(unit);
    if (gop.length > maxGopFrames) gop = [];
    if (!channel.videoDemand) return;
    if (keyframe) broken = false;
    if (broken) {
      dropped++;
      return;
    }
    send(unit);
  };

  return {
    attach(stream, timeOf) {
      // A new encoder run starts at frame 0 with a keyframe: the old GOP is of another session.
      const current = ++run;
      gop = [];
      broken = true;
      const splitter = new AccessUnitSplitter();
      let index = 0;
      const take = (list: Uint8Array[]) => {
        if (current !== run) return;
        for (const au of list) {
          const captureTime = timeOf(index) ?? Date.now();
          index++;
          onUnit({ au, captureTime }, isKeyframe(au));
        }
      };
      // Always read, wanted or not: an encoder whose pipe fills up would stall HLS too.
      stream.on('data', (chunk: Buffer) => take(splitter.push(chunk)));
      stream.once('end', () => take(splitter.flush()));
      stream.on('error', () => {});
    },
    demandChanged(video) {
      if (video === wanted) return;
      wanted = video;
      if (video) sendGop();
      else broken = true;
    },
    stats: () => ({ units, sent, dropped }),
  };
}

/** Parses `--webrtc on|off`. */
export function parseWebrtc(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new OptionError('--webrtc', '`on` or `off`', value);
}
