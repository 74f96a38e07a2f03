// @ts-check
// The one contract every player engine on the page implements (hls.js, the browser's own HLS, MJPEG;
// WebRTC next), and the pieces the two <video> engines share. The page (viewer.js) only talks to
// engines through `PlayerEngine`, so switching engines happens in one place there.

/** @typedef {'loading' | 'playing' | 'waiting' | 'recovering' | 'ended' | 'error'} PlayerState */

/**
 * What the page shows under the player; `null` when the engine cannot tell.
 * @typedef {object} EngineStats
 * @property {number | null} latency Seconds behind live (program date-time of what plays vs this machine's clock).
 * @property {number | null} buffer Seconds buffered ahead of the playhead.
 * @property {number | null} bitrate Stream bitrate in bit/s.
 * @property {number | null} targetLatency Seconds behind live the player aims for.
 * @property {number | null} partTarget Low-Latency HLS part target in seconds, when the playlist has parts.
 * @property {number | null} bandwidthEstimate The player's estimate of the network bandwidth in bit/s.
 */

/**
 * How an engine reports to the page. Engines report only while started.
 * @typedef {object} EngineEvents
 * @property {(state: PlayerState) => void} state The player's state changed.
 * @property {(text: string, fatal: boolean) => void} error Something went wrong; `fatal` when playback stopped.
 * @property {() => void} recovering The engine is getting playback back (a retry, a reload, a media recovery).
 */

/**
 * A way of playing the live stream.
 * @typedef {object} PlayerEngine
 * @property {string} name Shown as "Player", e.g. `hls.js 1.7.4`.
 * @property {(container: HTMLElement) => void} attach Puts the engine's element in `container` (idempotent).
 * @property {(url: string) => void} start Shows the element and plays `url` (resumes after `stop`).
 * @property {() => void} stop Stops loading (closes its connection or pauses) and hides the element.
 * @property {() => EngineStats} stats Current figures.
 */

/** @type {EngineStats} */
export const NO_STATS = Object.freeze({ latency: null, buffer: null, bitrate: null, targetLatency: null, partTarget: null, bandwidthEstimate: null });

/** Delay before an engine retries after a fatal error. */
export const RETRY_DELAY_MS = 2000;

/**
 * The page's one <video>, shared by the HLS engines (only one of them is ever used on a page).
 * @param {HTMLElement} container
 * @returns {HTMLVideoElement}
 */
export function videoIn(container) {
  const existing = container.querySelector('video');
  if (existing) return existing;
  const video = document.createElement('video');
  video.id = 'video';
  Object.assign(video, { muted: true, autoplay: true, playsInline: true, controls: true });
  container.append(video);
  return video;
}

/**
 * Seconds buffered ahead of the playhead, in the buffered range that holds it.
 * @param {HTMLVideoElement} video
 */
export function bufferAhead(video) {
  const t = video.currentTime;
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= t + 0.1 && t <= video.buffered.end(i)) return video.buffered.end(i) - t;
  }
  return 0;
}

/**
 * Seconds between `date` (the program date-time of the frame on screen) and now.
 * @param {Date | null | undefined} date
 */
export function latencyOf(date) {
  return date ? (Date.now() - date.getTime()) / 1000 : null;
}

/**
 * Reports the <video>'s playing / waiting / ended as engine states while `active()`.
 * @param {HTMLVideoElement} video
 * @param {EngineEvents} events
 * @param {() => boolean} active
 */
export function reportVideoStates(video, events, active) {
  for (const state of /** @type {const} */ (['playing', 'waiting', 'ended'])) {
    video.addEventListener(state, () => {
      if (active()) events.state(state);
    });
  }
}

/**
 * Starts playback; autoplay may wait for a click, and the controls are there for it.
 * @param {HTMLVideoElement} video
 */
export function play(video) {
  video.play().catch(() => {});
}
