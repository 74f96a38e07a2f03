// The H.264 fan-out for WebRTC viewers. The hub keeps the current GOP (the access units since the
// last keyframe) so a new viewer starts from a keyframe at once instead of waiting up to a GOP for
// the next one. After a gap in the feed (demand off, publisher reconnect) it drops everything up
// to the next keyframe: predicted frames whose references a viewer never got only show garbage.
import { NAL_TYPES, nalType, nalUnits, type VideoMessage } from '@hls-live/protocol';
import { createHubDemand } from '../mjpeg/demand.js';

export interface AccessUnit {
  readonly captureTime: number;
  readonly au: Uint8Array;
  readonly keyframe: boolean;
}

/** A viewer's end: `burst` is true for the cached GOP sent at once when it joins or asks (PLI). */
export type VideoSink = (unit: AccessUnit, burst: boolean) => void;

export interface VideoHubOptions {
  /** Demand stays on this long after the last viewer left, so a reload finds a warm GOP. */
  readonly idleMs: number;
  /** Most access units kept for one GOP; past it the cache is dropped until the next keyframe. Default 600. */
  readonly maxGopFrames?: number;
  /** Most bytes kept for one GOP. Default 16 MiB. */
  readonly maxGopBytes?: number;
  readonly now?: () => number;
}

export interface VideoHubStats {
  readonly viewers: number;
  /** Access units received. */
  readonly frames: number;
  readonly keyframes: number;
  /** Access units dropped while waiting for a keyframe. */
  readonly dropped: number;
  /** Access units in the GOP cache. */
  readonly gopFrames: number;
  readonly gopBytes: number;
  readonly demand: boolean;
  readonly publisher: boolean;
}

export interface VideoHub {
  publish(message: VideoMessage): void;
  /** Adds a viewer, sends it the cached GOP, and returns its removal. */
  subscribe(sink: VideoSink): () => void;
  /** Sends `sink` the cached GOP again (a decoder that lost its picture asked for a keyframe). */
  replay(sink: VideoSink): boolean;
  demand(): boolean;
  onDemand(listener: (demand: boolean) => void): () => void;
  /** A publisher (dis)connected: what comes next is not the continuation of what came before. */
  setPublisherConnected(connected: boolean): void;
  stats(): VideoHubStats;
  close(): void;
}

export function createVideoHub(options: VideoHubOptions): VideoHub {
  const now = options.now ?? Date.now;
  const maxGopFrames = options.maxGopFrames ?? 600;
  const maxGopBytes = options.maxGopBytes ?? 16 * 1024 * 1024;
  const sinks = new Set<VideoSink>();
  let gop: AccessUnit[] = [];
  let gopBytes = 0;
  // No keyframe since the last gap: nothing is forwarded until one comes.
  let waiting = true;
  let sps: Uint8Array | undefined;
  let pps: Uint8Array | undefined;
  let frames = 0;
  let keyframes = 0;
  let dropped = 0;
  let publisher = false;
  let closed = false;

  const reset = () => {
    gop = [];
    gopBytes = 0;
    waiting = true;
  };

  const demand = createHubDemand(options.idleMs, now, (wanted) => {
    // The publisher stops sending: the next access units will not continue these.
    if (!wanted) reset();
  });

  // A keyframe without its parameter sets (an encoder that sends them once) gets the last ones seen.
  const withParameterSets = (au: Uint8Array): Uint8Array => {
    const types = new Set<number>();
    for (const nal of nalUnits(au)) {
      const type = nalType(nal);
      types.add(type);
      if (type === NAL_TYPES.SPS) sps = nal.slice();
      else if (type === NAL_TYPES.PPS) pps = nal.slice();
    }
    if (types.has(NAL_TYPES.SPS) || !sps || !pps) return au;
    const start = Uint8Array.of(0, 0, 0, 1);
    const out = new Uint8Array(8 + sps.length + pps.length + au.length);
    out.set(start, 0);
    out.set(sps, 4);
    out.set(start, 4 + sps.length);
    out.set(pps, 8 + sps.length);
    out.set(au, 8 + sps.length + pps.length);
    return out;
  };

  const replay = (sink: VideoSink) => {
    if (waiting || gop.length === 0) return false;
    for (const unit of gop) sink(unit, true);
    return true;
  };

  return {
    publish(message) {
      frames++;
      if (message.keyframe) {
        keyframes++;
        gop = [];
        gopBytes = 0;
        waiting = false;
      } else if (waiting) {
        dropped++;
        return;
      }
      // A copy: the message is a view on the WebSocket's buffer.
      const au = message.keyframe ? withParameterSets(message.au) : message.au.slice();
      const unit: AccessUnit = { captureTime: message.captureTime, au, keyframe: message.keyframe };
      gop.push(unit);
      gopBytes += au.length;
      if (gop.length > maxGopFrames || gopBytes > maxGopBytes) {
        // Too long a GOP to keep: viewers that join now wait for the next keyframe.
        gop = [];
        gopBytes = 0;
      }
      for (const sink of sinks) sink(unit, false);
    },

    subscribe(sink) {
      if (closed) return () => {};
      sinks.add(sink);
      demand.viewerJoined();
      replay(sink);
      return () => {
        if (!sinks.delete(sink)) return;
        demand.viewerLeft();
      };
    },
    replay,

    demand: demand.demand,
    onDemand: demand.onDemand,
    setPublisherConnected(connected) {
      publisher = connected;
      reset();
    },
    stats: () => ({ viewers: sinks.size, frames, keyframes, dropped, gopFrames: gop.length, gopBytes, demand: demand.demand(), publisher }),
    close() {
      closed = true;
      sinks.clear();
      demand.close();
      reset();
    },
  };
}
