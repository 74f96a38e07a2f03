// @ts-check
// The streams grid (`/` when the streamer holds several live streams): one card per stream with a
// thumbnail (its snapshot, refreshed), its name and state; a click plays it (`?stream=<name>`).
// An on-demand camera nobody watches shows no thumbnail: fetching one would wake it.

/**
 * One entry of the streamer's `/streams.json`.
 * @typedef {{
 *   name: string, state: 'live' | 'ended' | 'idle', segments: number, lastProgramDateTime: string | null,
 *   viewers: number, publisher: boolean, onDemand: boolean, watched: boolean,
 *   urls: { hls: string, mjpeg: string, snapshot: string, webrtc: string | null, page: string },
 * }} StreamEntry
 */

/** How often a thumbnail is fetched again, in ms. */
const REFRESH_MS = 2000;

/** The streams `/streams.json` lists; none when it cannot be read (an older streamer: one stream). @returns {Promise<StreamEntry[]>} */
export async function listStreams() {
  try {
    const res = await fetch('streams.json', { cache: 'no-store' });
    if (!res.ok) return [];
    const body = /** @type {{ streams?: StreamEntry[] }} */ (await res.json());
    return Array.isArray(body.streams) ? body.streams : [];
  } catch {
    return [];
  }
}

/** Streams worth a card: something to play, or a camera waiting to be woken. @param {StreamEntry[]} streams */
export function playable(streams) {
  return streams.filter((s) => s.state !== 'idle' || s.publisher);
}

/** The state shown on a card. @param {StreamEntry} s */
function stateText(s) {
  if (s.onDemand && !s.watched) return 'sleeping';
  return s.state;
}

/**
 * Renders the cards into `root` and keeps them fresh; returns the stop function.
 * @param {HTMLElement} root
 * @param {StreamEntry[]} initial
 * @param {(streams: StreamEntry[]) => void} [onUpdate]
 * @returns {() => void}
 */
export function showGrid(root, initial, onUpdate) {
  /** @type {Map<string, { card: HTMLAnchorElement, img: HTMLImageElement, state: HTMLSpanElement }>} */
  const cards = new Map();
  root.hidden = false;

  /** @param {StreamEntry} s */
  const card = (s) => {
    let found = cards.get(s.name);
    if (!found) {
      const a = document.createElement('a');
      a.className = 'card';
      a.href = `?stream=${encodeURIComponent(s.name)}`;
      a.dataset.stream = s.name;
      const img = document.createElement('img');
      img.alt = `${s.name} (live thumbnail)`;
      img.addEventListener('error', () => img.classList.add('missing'));
      img.addEventListener('load', () => img.classList.remove('missing'));
      const title = document.createElement('span');
      title.className = 'name';
      title.textContent = s.name;
      const state = document.createElement('span');
      state.className = 'badge';
      a.append(img, title, state);
      root.append(a);
      found = { card: a, img, state };
      cards.set(s.name, found);
    }
    return found;
  };

  /** @param {StreamEntry[]} streams */
  const render = (streams) => {
    const shown = new Set(streams.map((s) => s.name));
    for (const [name, { card: a }] of cards) {
      if (!shown.has(name)) {
        a.remove();
        cards.delete(name);
      }
    }
    for (const s of streams) {
      const { img, state } = card(s);
      const text = stateText(s);
      state.textContent = text;
      state.dataset.state = text === 'live' ? 'playing' : text;
      if (text === 'sleeping') {
        img.removeAttribute('src');
        img.classList.add('missing');
      } else {
        img.src = `${s.urls.snapshot.replace(/^\//, '')}?t=${Date.now()}`;
      }
    }
    onUpdate?.(streams);
  };

  render(initial);
  const timer = setInterval(async () => render(playable(await listStreams())), REFRESH_MS);
  return () => clearInterval(timer);
}
