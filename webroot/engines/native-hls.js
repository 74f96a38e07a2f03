// @ts-check
// The browser's own HLS (Safari, iOS), where hls.js has no MediaSource to work with.
import { bufferAhead, latencyOf, play, reportVideoStates, RETRY_DELAY_MS, videoIn } from './engine.js';

/** @typedef {import('./engine.js').PlayerEngine} PlayerEngine */
/** @typedef {import('./engine.js').EngineEvents} EngineEvents */

/**
 * The native HLS engine, or null when this browser cannot play HLS by itself.
 * @param {EngineEvents} events
 * @returns {PlayerEngine | null}
 */
export function createNativeHlsEngine(events) {
  if (!document.createElement('video').canPlayType('application/vnd.apple.mpegurl')) return null;
  /** @type {HTMLVideoElement | null} */
  let video = null;
  let active = false;
  let url = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;

  return {
    name: 'native HLS',
    attach(container) {
      if (video) return;
      const media = videoIn(container);
      video = media;
      reportVideoStates(media, events, () => active);
      media.addEventListener('error', () => {
        if (!active) return;
        events.error(`media error ${media.error?.code ?? ''}`, true);
        events.recovering();
        clearTimeout(retry);
        retry = setTimeout(() => {
          media.src = url;
          play(media);
        }, RETRY_DELAY_MS);
      });
    },
    start(source) {
      if (!video) throw new Error('attach() before start()');
      active = true;
      video.hidden = false;
      if (source !== url) {
        url = source;
        video.src = url;
      }
      play(video);
    },
    stop() {
      active = false;
      clearTimeout(retry);
      if (!video) return;
      video.pause();
      video.hidden = true;
    },
    stats() {
      // Safari maps the playlist's EXT-X-PROGRAM-DATE-TIME to getStartDate() (not in the DOM standard); NaN when it has none.
      const start = /** @type {{ getStartDate?: () => Date } | null} */ (video)?.getStartDate?.();
      const date = video && start && !Number.isNaN(start.getTime()) ? new Date(start.getTime() + video.currentTime * 1000) : null;
      return {
        latency: latencyOf(date),
        buffer: video ? bufferAhead(video) : null,
        bitrate: null,
        targetLatency: null,
        partTarget: null,
        bandwidthEstimate: null,
      };
    },
  };
}
