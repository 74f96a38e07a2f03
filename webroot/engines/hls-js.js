// @ts-check
// hls.js, where MediaSource exists. It keeps playing through network and media errors, comes back
// when an ended stream starts again, and measures bitrate from the fragments it loads.
import { bufferAhead, latencyOf, play, reportVideoStates, RETRY_DELAY_MS, videoIn } from './engine.js';

/** @typedef {import('./engine.js').PlayerEngine} PlayerEngine */
/** @typedef {import('./engine.js').EngineEvents} EngineEvents */
/** @typedef {typeof import('hls.js').default} HlsClass */
/** @typedef {import('hls.js').default} Hls */

// `?latency=low`: one segment behind the live edge instead of hls.js's three, catching up at up
// to 1.5x when it falls behind; parts are used when the playlist has them. Fewer seconds behind
// live, more stalls on a slow network. Measured in bench/latency.mjs (docs/PERFORMANCE.md).
const LOW_LATENCY = { liveSyncDurationCount: 1, liveMaxLatencyDurationCount: 4, maxLiveSyncPlaybackRate: 1.5, lowLatencyMode: true };
// Stream bitrate from the last few fragments loaded (bytes * 8 / media seconds).
const BITRATE_FRAGMENTS = 5;

/**
 * Polls the playlist until it is live again, then calls `restart` once.
 * @param {string} url
 * @param {() => void} restart
 * @returns {() => void} cancels the polling
 */
function whenLiveAgain(url, restart) {
  const timer = setInterval(async () => {
    try {
      const text = await (await fetch(url, { cache: 'no-store' })).text();
      if (text.includes('#EXTINF') && !text.includes('#EXT-X-ENDLIST')) {
        clearInterval(timer);
        restart();
      }
    } catch {
      /* streamer away: ask again next time */
    }
  }, RETRY_DELAY_MS);
  return () => clearInterval(timer);
}

/**
 * The hls.js engine, or null when this browser has no MediaSource (or the library did not load).
 * @param {HlsClass | undefined} HlsJs the `Hls` global of vendor/hls.min.js
 * @param {{ lowLatency: boolean }} options
 * @param {EngineEvents} events
 * @returns {PlayerEngine | null}
 */
export function createHlsJsEngine(HlsJs, options, events) {
  if (!HlsJs?.isSupported()) return null;
  const Hls = HlsJs;
  /** @type {HTMLVideoElement | null} */
  let video = null;
  /** @type {Hls | null} */
  let hls = null;
  let active = false;
  let url = '';
  /** @type {Array<[bytes: number, seconds: number]>} */
  const fragments = [];
  /** @type {number | null} */
  let bitrate = null;
  /** @type {number | null} */
  let partTarget = null;
  let stopWaiting = () => {};

  /** @param {number | undefined} bytes @param {number} seconds */
  const fragmentLoaded = (bytes, seconds) => {
    if (!(bytes !== undefined && bytes > 0 && seconds > 0)) return;
    fragments.push([bytes, seconds]);
    if (fragments.length > BITRATE_FRAGMENTS) fragments.shift();
    const [b, s] = fragments.reduce((sum, [b, s]) => [sum[0] + b, sum[1] + s], [0, 0]);
    bitrate = (b * 8) / s;
  };

  /** @param {HTMLVideoElement} media */
  const load = (media) => {
    // lowLatencyMode (hls.js's default, stated here) plays parts, blocking reload and preload
    // hints whenever the playlist has them, PART-HOLD-BACK behind live; without parts it changes nothing.
    const player = new Hls({ liveDurationInfinity: true, lowLatencyMode: true, ...(options.lowLatency ? LOW_LATENCY : {}) });
    hls = player;
    player.on(Hls.Events.FRAG_LOADED, (_event, data) => fragmentLoaded(data.frag.stats?.total ?? data.payload?.byteLength, data.frag.duration));
    player.on(Hls.Events.ERROR, (_event, data) => {
      events.error(`${data.type}: ${data.details}`, data.fatal);
      if (!data.fatal) return;
      events.recovering();
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // The streamer may be restarting: keep asking for the playlist.
        setTimeout(() => player.startLoad(), RETRY_DELAY_MS);
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        player.recoverMediaError();
      } else {
        player.destroy();
        setTimeout(() => load(media), RETRY_DELAY_MS);
      }
    });
    player.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
      partTarget = data.details.partTarget || null;
      if (partTarget && !options.lowLatency) {
        // With parts the target is PART-HOLD-BACK (under a second): catch up at up to 1.5x after
        // a late start or a stall (hls.js's default 1 never does), and let a stall cost one part
        // target of extra latency rather than hls.js's default whole second.
        player.config.maxLiveSyncPlaybackRate = 1.5;
        player.config.liveSyncOnStallIncrease = partTarget;
      }
      if (data.details.live) return;
      if (active) events.state('ended');
      // hls.js stops reloading an ended playlist; a publisher that comes back starts it again.
      stopWaiting();
      stopWaiting = whenLiveAgain(url, () => {
        player.destroy();
        load(media);
      });
    });
    player.loadSource(url);
    player.attachMedia(media);
  };

  return {
    name: `hls.js ${Hls.version}`,
    attach(container) {
      if (video) return;
      video = videoIn(container);
      reportVideoStates(video, events, () => active);
    },
    start(source) {
      if (!video) throw new Error('attach() before start()');
      active = true;
      video.hidden = false;
      if (!hls || source !== url) {
        hls?.destroy();
        url = source;
        load(video);
      } else hls.startLoad(-1);
      play(video);
    },
    stop() {
      active = false;
      if (!video) return;
      video.pause();
      video.hidden = true;
      hls?.stopLoad();
    },
    stats() {
      const target = hls?.targetLatency;
      const bandwidth = hls?.bandwidthEstimate;
      return {
        latency: latencyOf(hls?.playingDate),
        buffer: video ? bufferAhead(video) : null,
        bitrate,
        targetLatency: typeof target === 'number' && Number.isFinite(target) ? target : null,
        partTarget,
        bandwidthEstimate: typeof bandwidth === 'number' && Number.isFinite(bandwidth) ? Math.round(bandwidth) : null,
      };
    },
  };
}
