// @ts-check
// The capture page of `hls-publish --input whip`: the camera (front or back, a size), a local
// preview, and one button that publishes it over WHIP (RFC 9725) to the server that served this
// page, or stops. No library: the browser's RTCPeerConnection and fetch are all WHIP needs.

const WHIP_PATH = '/whip';

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const preview = /** @type {HTMLVideoElement} */ ($('preview'));
const facing = /** @type {HTMLSelectElement} */ ($('facing'));
const size = /** @type {HTMLSelectElement} */ ($('size'));
const tokenInput = /** @type {HTMLInputElement} */ ($('token'));
const button = /** @type {HTMLButtonElement} */ ($('publish'));

/** @type {MediaStream | undefined} */
let stream;
/** @type {RTCPeerConnection | undefined} */
let pc;
/** @type {string | undefined} */
let sessionUrl;

const params = new URLSearchParams(location.search);
tokenInput.value = params.get('token') ?? localStorage.getItem('whip-token') ?? '';

/** @param {'idle' | 'camera' | 'connecting' | 'live' | 'stopped' | 'error'} state @param {string} [detail] */
function setState(state, detail) {
  document.body.dataset.state = state;
  $('state').textContent = detail ? `${state}: ${detail}` : state;
  button.textContent = state === 'live' || state === 'connecting' ? 'Stop' : 'Publish';
}

function authHeaders() {
  const token = tokenInput.value.trim();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function openCamera() {
  for (const track of stream?.getTracks() ?? []) track.stop();
  const [width, height] = size.value.split('x').map(Number);
  setState('camera', 'asking for the camera');
  stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: { ideal: facing.value }, width: { ideal: width }, height: { ideal: height }, frameRate: { ideal: 30 } },
  });
  preview.srcObject = stream;
  setState('idle', 'camera ready');
}

/** H.264 (packetization-mode 1, constrained baseline first) before anything else: the publisher prefers it. */
function preferH264(/** @type {RTCRtpTransceiver} */ transceiver) {
  const codecs = RTCRtpSender.getCapabilities?.('video')?.codecs;
  if (!codecs || !transceiver.setCodecPreferences) return;
  const rank = (/** @type {RTCRtpCodec} */ c) => {
    if (!/h264/i.test(c.mimeType)) return /vp8/i.test(c.mimeType) ? 3 : 4;
    if (!/packetization-mode=1/.test(c.sdpFmtpLine ?? '')) return 4;
    return /profile-level-id=42e0/.test(c.sdpFmtpLine ?? '') ? 0 : 1;
  };
  transceiver.setCodecPreferences([...codecs].sort((a, b) => rank(a) - rank(b)));
}

function gathered(/** @type {RTCPeerConnection} */ peer) {
  return new Promise((resolve) => {
    if (peer.iceGatheringState === 'complete') return resolve(undefined);
    const timer = setTimeout(resolve, 2000);
    peer.addEventListener('icegatheringstatechange', () => {
      if (peer.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
  });
}

async function publish() {
  if (!stream) await openCamera();
  const track = /** @type {MediaStream} */ (stream).getVideoTracks()[0];
  if (!track) throw new Error('no camera track');
  localStorage.setItem('whip-token', tokenInput.value.trim());
  setState('connecting');
  const peer = new RTCPeerConnection();
  pc = peer;
  preferH264(peer.addTransceiver(track, { direction: 'sendonly', sendEncodings: [{ maxBitrate: 2_500_000 }] }));
  peer.addEventListener('connectionstatechange', () => {
    if (pc !== peer) return;
    if (peer.connectionState === 'connected') setState('live');
    else if (peer.connectionState === 'failed' || peer.connectionState === 'disconnected') setState('error', `connection ${peer.connectionState}`);
  });
  await peer.setLocalDescription(await peer.createOffer());
  // No trickle: the offer carries every candidate.
  await gathered(peer);
  const res = await fetch(WHIP_PATH, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', ...authHeaders() },
    body: peer.localDescription?.sdp,
  });
  if (res.status !== 201) {
    const body = await res.json().catch(() => undefined);
    throw new Error(body?.error?.message ?? `the publisher answered ${res.status}`);
  }
  sessionUrl = new URL(res.headers.get('Location') ?? '', location.href).href;
  await peer.setRemoteDescription({ type: 'answer', sdp: await res.text() });
}

async function stop(/** @type {boolean} */ leaving = false) {
  const url = sessionUrl;
  sessionUrl = undefined;
  pc?.close();
  pc = undefined;
  // keepalive lets the DELETE go out while the page unloads.
  if (url) await fetch(url, { method: 'DELETE', headers: authHeaders(), keepalive: leaving }).catch(() => {});
  if (!leaving) setState('stopped');
}

button.addEventListener('click', () => {
  const state = document.body.dataset.state;
  const action = state === 'live' || state === 'connecting' ? stop() : publish();
  action.catch((/** @type {Error} */ error) => {
    void stop();
    setState('error', error.message);
  });
});

for (const select of [facing, size]) {
  select.addEventListener('change', () => {
    // A new camera mid-publish replaces the track in place: the publisher scales any size.
    openCamera()
      .then(() => {
        const track = stream?.getVideoTracks()[0];
        const sender = pc?.getSenders()[0];
        if (track && sender) return sender.replaceTrack(track).then(() => setState('live'));
      })
      .catch((/** @type {Error} */ error) => setState('error', error.message));
  });
}

addEventListener('pagehide', () => void stop(true));

if (!window.isSecureContext) setState('error', 'the camera needs https (or localhost): open the https:// address the publisher printed');
else openCamera().catch((/** @type {Error} */ error) => setState('error', error.message));
