// @ts-check
// Motion JPEG in an <img>: the lowest latency, no player. An <img> does not expose the frames'
// capture times, so there is no latency figure here.
import { NO_STATS, RETRY_DELAY_MS } from './engine.js';

/** @typedef {import('./engine.js').PlayerEngine} PlayerEngine */
/** @typedef {import('./engine.js').EngineEvents} EngineEvents */

// Assigning this to the <img> closes its MJPEG connection (the streamer then stops asking for frames).
const BLANK = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';

/**
 * @param {EngineEvents} events
 * @returns {PlayerEngine}
 */
export function createMjpegEngine(events) {
  /** @type {HTMLImageElement | null} */
  let img = null;
  let active = false;
  let url = '';
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;

  return {
    name: 'MJPEG (<img>)',
    attach(container) {
      if (img) return;
      const view = document.createElement('img');
      img = view;
      view.id = 'mjpeg';
      view.alt = 'Live camera (MJPEG)';
      view.hidden = true;
      view.addEventListener('load', () => {
        if (active && view.src !== BLANK) events.state('playing');
      });
      view.addEventListener('error', () => {
        if (!active || view.src === BLANK) return;
        events.error('MJPEG stream unavailable; retrying', false);
        events.recovering();
        clearTimeout(retry);
        retry = setTimeout(() => {
          if (active) view.src = `${url}${url.includes('?') ? '&' : '?'}t=${Date.now()}`;
        }, RETRY_DELAY_MS);
      });
      container.append(view);
    },
    start(source) {
      if (!img) throw new Error('attach() before start()');
      active = true;
      url = source;
      img.hidden = false;
      img.src = url;
    },
    stop() {
      active = false;
      clearTimeout(retry);
      if (!img) return;
      img.src = BLANK;
      img.hidden = true;
    },
    stats: () => NO_STATS,
  };
}
