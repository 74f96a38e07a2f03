// The viewer: hls.js where MediaSource exists, the browser's own HLS (Safari, iOS) otherwise.
// It keeps playing through network and media errors, and shows how far behind live it is,
// measured from the segments' EXT-X-PROGRAM-DATE-TIME against this machine's clock.
// A switch shows the MJPEG preview instead (`<img src="mjpeg">`, no player); HLS is the default,
// `?view=mjpeg` opens on MJPEG. `?latency=low` plays closer to the live edge (LOW_LATENCY below).

const MAX_ERRORS_SHOWN = 5;
const RETRY_DELAY_MS = 2000;
// `?latency=low`: one segment behind the live edge instead of hls.js's three, catching up at up
// to 1.5x when it falls behind; parts are used when the playlist has them. Fewer seconds behind
// live, more stalls on a slow network. Measured in bench/latency.mjs (docs/PERFORMANCE.md).
const LOW_LATENCY = { liveSyncDurationCount: 1, liveMaxLatencyDurationCount: 4, maxLiveSyncPlaybackRate: 1.5, lowLatencyMode: true };
// Stream bitrate from the last few fragments loaded (bytes * 8 / media seconds).
const BITRATE_FRAGMENTS = 5;

const video = document.getElementById('video');
const mjpeg = document.getElementById('mjpeg');
const switches = { hls: document.getElementById('view-hls'), mjpeg: document.getElementById('view-mjpeg') };
// Assigning this to the <img> closes its MJPEG connection (the streamer then stops asking for frames).
const BLANK = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
const ui = {
  state: document.getElementById('state'),
  latency: document.getElementById('latency'),
  targetLatency: document.getElementById('target-latency'),
  buffer: document.getElementById('buffer'),
  bitrate: document.getElementById('bitrate'),
  engine: document.getElementById('engine'),
  source: document.getElementById('source'),
  errors: document.getElementById('errors'),
};

const params = new URLSearchParams(location.search);
const src = params.get('src') || 'stream.m3u8';
const lowLatency = params.get('latency') === 'low';

// Read by people and by the end-to-end test alike.
const status = {
  engine: null, state: 'loading', latency: null, buffer: 0, errors: [], fatal: 0, recovered: 0, view: 'hls',
  latencyMode: lowLatency ? 'low' : 'default', bitrate: null, bandwidthEstimate: null,
  // Low-Latency HLS: hls.js's target latency, and the part target when the playlist has parts.
  targetLatency: null, partTarget: null,
};
window.viewer = status;

function setState(state) {
  status.state = state;
  ui.state.textContent = state;
  ui.state.dataset.state = state;
}

function reportError(text, fatal) {
  status.errors.push({ text, fatal, at: new Date().toISOString() });
  if (status.errors.length > 50) status.errors.shift();
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${fatal ? 'fatal' : 'warning'}: ${text}`;
  ui.errors.prepend(item);
  while (ui.errors.children.length > MAX_ERRORS_SHOWN) ui.errors.lastChild.remove();
}

function bufferAhead() {
  const t = video.currentTime;
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= t + 0.1 && t <= video.buffered.end(i)) return video.buffered.end(i) - t;
  }
  return 0;
}

let playingDate = () => null;
let targetLatency = () => null;
let bandwidthEstimate = () => null;
const fragments = [];
function fragmentLoaded(bytes, seconds) {
  if (!(bytes > 0 && seconds > 0)) return;
  fragments.push([bytes, seconds]);
  if (fragments.length > BITRATE_FRAGMENTS) fragments.shift();
  const total = fragments.reduce((sum, [b, s]) => [sum[0] + b, sum[1] + s], [0, 0]);
  status.bitrate = (total[0] * 8) / total[1];
}
// Set by the HLS engine in use: stop and resume loading while the MJPEG view is shown.
let pauseHls = () => {};
let resumeHls = () => {};

function refreshStats() {
  if (status.view === 'mjpeg') {
    // An <img> does not expose the parts' X-Capture-Time, so no latency figure here.
    status.latency = null;
    ui.latency.textContent = '–';
    ui.buffer.textContent = '–';
    ui.bitrate.textContent = '–';
    return;
  }
  const date = playingDate();
  status.latency = date ? (Date.now() - date.getTime()) / 1000 : null;
  status.buffer = bufferAhead();
  status.bandwidthEstimate = bandwidthEstimate();
  ui.bitrate.textContent = status.bitrate === null ? '–' : `${(status.bitrate / 1e6).toFixed(2)} Mbit/s`;
  ui.latency.textContent = status.latency === null ? '–' : `${status.latency.toFixed(2)} s`;
  status.targetLatency = targetLatency();
  ui.targetLatency.textContent = status.targetLatency === null ? '–' : `${status.targetLatency.toFixed(2)} s${status.partTarget ? ` (parts of ${status.partTarget} s)` : ''}`;
  ui.buffer.textContent = `${status.buffer.toFixed(2)} s`;
}

let restartTimer = null;
function waitForRestart(restart) {
  if (restartTimer) return;
  restartTimer = setInterval(async () => {
    try {
      const text = await (await fetch(src, { cache: 'no-store' })).text();
      if (text.includes('#EXTINF') && !text.includes('#EXT-X-ENDLIST')) {
        clearInterval(restartTimer);
        restartTimer = null;
        restart();
      }
    } catch { /* streamer away: ask again next time */ }
  }, RETRY_DELAY_MS);
}

function playWithHlsJs(Hls) {
  status.engine = `hls.js ${Hls.version}`;
  let hls;
  const start = () => {
    // lowLatencyMode (hls.js's default, stated here) plays parts, blocking reload and preload
    // hints whenever the playlist has them, PART-HOLD-BACK behind live; without parts it changes nothing.
    hls = new Hls({ liveDurationInfinity: true, lowLatencyMode: true, ...(lowLatency ? LOW_LATENCY : {}) });
    hls.on(Hls.Events.FRAG_LOADED, (_event, data) => fragmentLoaded(data.frag.stats?.total ?? data.payload?.byteLength, data.frag.duration));
    hls.on(Hls.Events.ERROR, (_event, data) => {
      reportError(`${data.type}: ${data.details}`, data.fatal);
      if (!data.fatal) return;
      status.fatal++;
      setState('recovering');
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        // The streamer may be restarting: keep asking for the playlist.
        setTimeout(() => hls.startLoad(), RETRY_DELAY_MS);
      } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        hls.destroy();
        setTimeout(start, RETRY_DELAY_MS);
      }
      status.recovered++;
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_event, data) => {
      status.partTarget = data.details.partTarget || null;
      if (status.partTarget && !lowLatency) {
        // With parts the target is PART-HOLD-BACK (under a second): catch up at up to 1.5x after
        // a late start or a stall (hls.js's default 1 never does), and let a stall cost one part
        // target of extra latency rather than hls.js's default whole second.
        hls.config.maxLiveSyncPlaybackRate = 1.5;
        hls.config.liveSyncOnStallIncrease = status.partTarget;
      }
      if (data.details.live) return;
      setState('ended');
      // hls.js stops reloading an ended playlist; a publisher that comes back starts it again.
      waitForRestart(() => { hls.destroy(); start(); });
    });
    hls.loadSource(src);
    hls.attachMedia(video);
  };
  playingDate = () => hls?.playingDate ?? null;
  targetLatency = () => (Number.isFinite(hls?.targetLatency) ? hls.targetLatency : null);
  bandwidthEstimate = () => (Number.isFinite(hls?.bandwidthEstimate) ? Math.round(hls.bandwidthEstimate) : null);
  pauseHls = () => hls?.stopLoad();
  resumeHls = () => hls?.startLoad(-1);
  start();
}

function playNatively() {
  status.engine = 'native HLS';
  video.src = src;
  video.addEventListener('error', () => {
    reportError(`media error ${video.error?.code ?? ''}`, true);
    status.fatal++;
    setState('recovering');
    setTimeout(() => { video.src = src; video.play().catch(() => {}); }, RETRY_DELAY_MS);
  });
  playingDate = () => {
    const start = video.getStartDate?.();
    if (!start || Number.isNaN(start.getTime())) return null;
    return new Date(start.getTime() + video.currentTime * 1000);
  };
}

const Hls = window.Hls;
if (Hls && Hls.isSupported()) playWithHlsJs(Hls);
else if (video.canPlayType('application/vnd.apple.mpegurl')) playNatively();
else {
  setState('error');
  reportError('This browser can play neither hls.js (no MediaSource) nor native HLS.', true);
}

ui.engine.textContent = status.engine ?? 'none';
ui.source.textContent = src;
const hlsView = (fn) => () => { if (status.view === 'hls') fn(); };
video.addEventListener('playing', hlsView(() => setState('playing')));
video.addEventListener('waiting', hlsView(() => setState('waiting')));
video.addEventListener('ended', hlsView(() => setState('ended')));

let mjpegRetry = null;
mjpeg.addEventListener('load', () => { if (status.view === 'mjpeg' && mjpeg.src !== BLANK) setState('playing'); });
mjpeg.addEventListener('error', () => {
  if (status.view !== 'mjpeg' || mjpeg.src === BLANK) return;
  reportError('MJPEG stream unavailable; retrying', false);
  setState('recovering');
  clearTimeout(mjpegRetry);
  mjpegRetry = setTimeout(() => { if (status.view === 'mjpeg') mjpeg.src = `mjpeg?t=${Date.now()}`; }, RETRY_DELAY_MS);
});

function showView(view) {
  status.view = view;
  switches.hls.setAttribute('aria-pressed', String(view === 'hls'));
  switches.mjpeg.setAttribute('aria-pressed', String(view === 'mjpeg'));
  video.hidden = view !== 'hls';
  mjpeg.hidden = view !== 'mjpeg';
  clearTimeout(mjpegRetry);
  if (view === 'mjpeg') {
    video.pause();
    pauseHls();
    ui.engine.textContent = 'MJPEG (<img>)';
    ui.source.textContent = 'mjpeg';
    setState('loading');
    mjpeg.src = 'mjpeg';
  } else {
    mjpeg.src = BLANK;
    setState('loading');
    ui.engine.textContent = status.engine ?? 'none';
    ui.source.textContent = src;
    resumeHls();
    video.play().catch(() => { /* autoplay may wait for a click; the controls are there */ });
  }
}
switches.hls.addEventListener('click', () => status.view !== 'hls' && showView('hls'));
switches.mjpeg.addEventListener('click', () => status.view !== 'mjpeg' && showView('mjpeg'));

if (new URLSearchParams(location.search).get('view') === 'mjpeg') showView('mjpeg');
else video.play().catch(() => { /* autoplay may wait for a click; the controls are there */ });
setInterval(refreshStats, 500);
