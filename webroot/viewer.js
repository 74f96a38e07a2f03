// @ts-check
// The viewer: hls.js where MediaSource exists, the browser's own HLS (Safari, iOS) otherwise.
// It keeps playing through network and media errors, and shows how far behind live it is,
// measured from the segments' EXT-X-PROGRAM-DATE-TIME against this machine's clock.
// A switch shows the MJPEG preview instead (`<img src="mjpeg">`, no player); HLS is the default,
// `?view=mjpeg` opens on MJPEG. `?latency=low` plays closer to the live edge (engines/hls-js.js).
// Every engine implements `PlayerEngine` (engines/engine.js); `show()` below is the one place that
// picks, starts and stops them. `?stream=<name>` plays the named stream (`live/<name>/`); with
// several streams and none named, the page shows them as a grid instead (grid.js).
import { listStreams, playable, showGrid } from './grid.js';
import { createHlsJsEngine } from './engines/hls-js.js';
import { createMjpegEngine } from './engines/mjpeg.js';
import { createNativeHlsEngine } from './engines/native-hls.js';
import { createWebRtcEngine } from './engines/webrtc.js';

/** @typedef {import('./engines/engine.js').PlayerEngine} PlayerEngine */
/** @typedef {import('./engines/engine.js').PlayerState} PlayerState */
/** @typedef {import('./engines/engine.js').EngineEvents} EngineEvents */
/** @typedef {'hls' | 'mjpeg' | 'webrtc'} View */

// Tried first when the streamer offers WebRTC; HLS takes over if it is not playing by then.
const WEBRTC_FALLBACK_MS = 3000;

const MAX_ERRORS_SHOWN = 5;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing from index.html`);
  return found;
}

const player = element('player', HTMLDivElement);
/** @type {Record<View, HTMLButtonElement>} */
const switches = {
  hls: element('view-hls', HTMLButtonElement),
  mjpeg: element('view-mjpeg', HTMLButtonElement),
  webrtc: element('view-webrtc', HTMLButtonElement),
};
const ui = {
  state: element('state', HTMLSpanElement),
  latency: element('latency', HTMLElement),
  targetLatency: element('target-latency', HTMLElement),
  buffer: element('buffer', HTMLElement),
  bitrate: element('bitrate', HTMLElement),
  engine: element('engine', HTMLElement),
  source: element('source', HTMLElement),
  errors: element('errors', HTMLOListElement),
};

const params = new URLSearchParams(location.search);
/** @param {string | null} name */
const streamBase = (name) => (name ? `live/${encodeURIComponent(name)}/` : '');
const named = params.get('stream');
const lowLatency = params.get('latency') === 'low';
/** @type {Record<View, string>} */
const SOURCES = { hls: params.get('src') || `${streamBase(named)}stream.m3u8`, mjpeg: `${streamBase(named)}mjpeg`, webrtc: `${streamBase(named)}whep` };

/**
 * Read by people and by the end-to-end tests and benchmarks alike (`window.viewer`).
 * @type {{
 *   engine: string | null, state: PlayerState, view: View, latencyMode: 'low' | 'default',
 *   latency: number | null, buffer: number | null, bitrate: number | null, bandwidthEstimate: number | null,
 *   targetLatency: number | null, partTarget: number | null,
 *   errors: Array<{ text: string, fatal: boolean, at: string }>, fatal: number, recovered: number,
 *   mode: 'player' | 'grid', stream: string | null, streams: string[],
 * }}
 */
const status = {
  engine: null,
  state: 'loading',
  latency: null,
  buffer: 0,
  errors: [],
  fatal: 0,
  recovered: 0,
  view: 'hls',
  latencyMode: lowLatency ? 'low' : 'default',
  bitrate: null,
  bandwidthEstimate: null,
  // Low-Latency HLS: hls.js's target latency, and the part target when the playlist has parts.
  targetLatency: null,
  partTarget: null,
  // `grid` while several streams are shown as cards; the stream played (null: the original paths).
  mode: 'player',
  stream: named,
  streams: [],
};
Object.assign(window, { viewer: status });

/** @param {PlayerState} state */
function setState(state) {
  status.state = state;
  ui.state.textContent = state;
  ui.state.dataset.state = state;
}

/** @param {string} text @param {boolean} fatal */
function reportError(text, fatal) {
  status.errors.push({ text, fatal, at: new Date().toISOString() });
  if (status.errors.length > 50) status.errors.shift();
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${fatal ? 'fatal' : 'warning'}: ${text}`;
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS_SHOWN) ui.errors.lastElementChild?.remove();
}

/** @type {EngineEvents} */
const events = {
  state: setState,
  error(text, fatal) {
    reportError(text, fatal);
    if (fatal) status.fatal++;
  },
  recovering() {
    setState('recovering');
    status.recovered++;
  },
};

/** @type {Record<View, () => PlayerEngine | null>} */
const ENGINES = {
  hls: () => createHlsJsEngine(Reflect.get(window, 'Hls'), { lowLatency }, events) ?? createNativeHlsEngine(events),
  mjpeg: () => createMjpegEngine(events),
  webrtc: () => (typeof RTCPeerConnection === 'function' ? createWebRtcEngine(events) : null),
};
/** @type {Partial<Record<View, PlayerEngine | null>>} */
const engines = {};
/** @type {PlayerEngine | null} */
let current = null;

/** @param {View} view */
function show(view) {
  current?.stop();
  status.view = view;
  for (const [name, button] of Object.entries(switches)) button.setAttribute('aria-pressed', String(name === view));
  if (!(view in engines)) engines[view] = ENGINES[view]();
  current = engines[view] ?? null;
  status.engine = current?.name ?? null;
  ui.engine.textContent = current?.name ?? 'none';
  ui.source.textContent = SOURCES[view];
  if (!current) {
    setState('error');
    reportError('This browser can play neither hls.js (no MediaSource) nor native HLS.', true);
    return;
  }
  setState('loading');
  current.attach(player);
  current.start(SOURCES[view]);
}

/** @param {number | null} value @param {(value: number) => string} format */
const shown = (value, format) => (value === null ? '–' : format(value));

function refreshStats() {
  if (!current) return;
  const stats = current.stats();
  Object.assign(status, stats);
  ui.latency.textContent = shown(stats.latency, (s) => `${s.toFixed(2)} s`);
  ui.buffer.textContent = shown(stats.buffer, (s) => `${s.toFixed(2)} s`);
  ui.bitrate.textContent = shown(stats.bitrate, (b) => `${(b / 1e6).toFixed(2)} Mbit/s`);
  ui.targetLatency.textContent = shown(stats.targetLatency, (s) => `${s.toFixed(2)} s${stats.partTarget ? ` (parts of ${stats.partTarget} s)` : ''}`);
}

for (const [view, button] of /** @type {Array<[View, HTMLButtonElement]>} */ (Object.entries(switches))) {
  button.addEventListener('click', () => status.view !== view && show(view));
}
// One stream (or one named): the player at once, as before; several: the grid.
async function open() {
  const listed = params.get('src') ? [] : await listStreams();
  if (!named && !params.get('src')) {
    const streams = playable(listed);
    if (streams.length > 1) {
      status.mode = 'grid';
      document.body.dataset.mode = 'grid';
      setState('waiting');
      ui.state.textContent = `${streams.length} streams`;
      showGrid(element('grid', HTMLElement), streams, (now) => (status.streams = now.map((s) => s.name)));
      return;
    }
    const only = streams[0];
    if (only && only.name !== 'default') {
      status.stream = only.name;
      SOURCES.hls = `${streamBase(only.name)}stream.m3u8`;
      SOURCES.mjpeg = `${streamBase(only.name)}mjpeg`;
    }
  }
  // The streamer offers WebRTC for the stream shown when its listing names a WHEP URL for it.
  const offered = listed.find((entry) => entry.name === (status.stream ?? 'default'))?.urls.webrtc;
  if (offered) SOURCES.webrtc = offered.replace(/^\//, '');
  const asked = params.get('view');
  if (asked === 'mjpeg' || asked === 'webrtc' || asked === 'hls') show(asked);
  else if (offered && typeof RTCPeerConnection === 'function') {
    // WebRTC first when the streamer offers it; HLS (LL-HLS when the playlist has parts) if it
    // does not play within WEBRTC_FALLBACK_MS. The switch still lets the viewer choose.
    show('webrtc');
    setTimeout(() => {
      if (status.view === 'webrtc' && status.state !== 'playing') {
        reportError('WebRTC did not start playing in time; switched to HLS', false);
        show('hls');
      }
    }, WEBRTC_FALLBACK_MS);
  } else show('hls');
  setInterval(refreshStats, 500);
}
void open();
