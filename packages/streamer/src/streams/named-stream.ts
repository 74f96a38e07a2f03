// One named stream: everything the streamer keeps per stream, created and closed together. The
// registry (registry.ts) holds them by name; routes look one up and use its members. A new
// per-stream channel (e.g. WebRTC playback) is one more member here.
import type { Logger } from 'pino';
import { hasReached } from '../hls/parts.js';
import { createLiveStream, type LiveStream } from '../live-stream.js';
import { createMjpegHub, type MjpegHub } from '../mjpeg/hub.js';
import { createMediaDir } from '../storage/media-dir.js';
import { createStateFile } from '../storage/state-file.js';
import { createVideoHub, type VideoHub } from '../webrtc/video-hub.js';
import { createWatch, type Watch } from './watch.js';

export interface NamedStreamOptions {
  readonly name: string;
  /** The stream's own folder (the media folder itself for `default`). */
  readonly dir: string;
  readonly window: number;
  readonly targetDuration: number | undefined;
  readonly maxSegmentBytes: number;
  readonly mjpegIdleMs: number;
  /** A stream counts as watched this long after its last playlist, segment or part request. */
  readonly watchQuietMs: number;
  /** This stream's own viewer token (--config), accepted beside the global one; none: the global token alone guards it. */
  readonly viewerToken: string | undefined;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface NamedStream {
  readonly name: string;
  readonly dir: string;
  readonly live: LiveStream;
  readonly mjpeg: MjpegHub;
  /** The H.264 fan-out of this stream's WebRTC (WHEP) viewers. */
  readonly video: VideoHub;
  readonly watch: Watch;
  readonly viewerToken: string | undefined;
  /** The target duration the live-channel publisher declared (X-Target-Duration on its upgrade), before any segment fixes it. */
  declaredTarget: number | undefined;
  /** True while the live-channel publisher captures on demand (X-On-Demand): the first playlist request waits for video. */
  onDemand: boolean;
  /** Epoch ms of the last publish, end, viewer request or publisher connection change. */
  lastActivity(): number;
  /** A publish or publisher connection change (viewers are read from `watch`). */
  active(): void;
  /** Whether a publisher holds the live channel (preview, on-demand) of this stream. */
  publisherConnected(): boolean;
  /**
   * Capture on demand, waking: the media sequence whose first part (or whole segment) must be listed
   * before a playlist shows this wake's video; undefined when not waking (not on demand, not
   * watched, or already there). Segments of an earlier capture do not count: they are old.
   */
  waking(): number | undefined;
  /** Restores the saved window (creating the folder); once, before the stream serves. */
  restore(): Promise<void>;
  /** Ends held requests and viewers, saves the window. */
  close(): Promise<void>;
}

export function createNamedStream(options: NamedStreamOptions): NamedStream {
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ stream: options.name });
  const media = createMediaDir({ dir: options.dir, maxSegmentBytes: options.maxSegmentBytes });
  const live = createLiveStream({
    windowSize: options.window,
    targetDuration: options.targetDuration,
    media,
    logger,
    stateFile: createStateFile(options.dir),
    now,
  });
  const mjpeg = createMjpegHub({ idleMs: options.mjpegIdleMs, now });
  // WebRTC demand lingers like MJPEG's, so a viewer who reloads finds the GOP cache warm.
  const video = createVideoHub({ idleMs: options.mjpegIdleMs, now });
  const watch = createWatch(options.watchQuietMs, now);
  // An MJPEG viewer (or snapshot) is someone watching, for as long as the preview demand lasts.
  const unsubscribe = mjpeg.onDemand((demand) => watch.hold('mjpeg', demand));
  const offVideo = video.onDemand((demand) => watch.hold('webrtc', demand));
  let activity = now();
  // The sequence the window was at when the stream became watched.
  let wake: number | undefined;
  const offWake = watch.onChange((watched) => {
    // A segment still open from before (its capture paused mid-segment) is old video too.
    const state = live.state();
    wake = watched ? state.nextSequence + (state.open ? 1 : 0) : undefined;
  });

  const stream: NamedStream = {
    name: options.name,
    dir: options.dir,
    live,
    mjpeg,
    video,
    watch,
    viewerToken: options.viewerToken,
    declaredTarget: undefined,
    onDemand: false,
    lastActivity: () => Math.max(activity, watch.lastSeen() ?? 0),
    active() {
      activity = now();
    },
    publisherConnected: () => mjpeg.stats().publisher,
    waking() {
      if (!stream.onDemand || wake === undefined || hasReached(live.state(), wake, 0)) return undefined;
      return wake;
    },
    async restore() {
      await media.ready();
      await live.restore();
    },
    async close() {
      unsubscribe();
      offVideo();
      offWake();
      watch.close();
      mjpeg.close();
      video.close();
      await live.close();
    },
  };
  return stream;
}
