// WHEP over the real streamer: node-datachannel viewer peers on loopback, H.264 from real ffmpeg
// sent by a publisher over the live WebSocket as hls-publish sends it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { raw, useServers, type TestServer } from '../helpers/server.js';
import { createViewerPeer, feedVideo, freeUdpPort, makeAccessUnits, until, type LivePublisher, type ViewerPeer } from '../helpers/webrtc.js';

let units: Uint8Array[];
beforeAll(async () => {
  units = await makeAccessUnits(60, '320x240', 30);
});

const server = useServers();
const peers: ViewerPeer[] = [];
const publishers: LivePublisher[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.close();
  await Promise.all(publishers.splice(0).map((p) => p.close()));
});

async function start(options: Parameters<typeof server>[0] = {}): Promise<TestServer> {
  const s = await server({ webrtc: true, webrtcPort: await freeUdpPort(), webrtcHost: '127.0.0.1', ...options });
  publishers.push(await feedVideo(s.port, units));
  return s;
}

function postOffer(s: TestServer, offer: string, headers: Record<string, string> = {}) {
  return raw(s.port, { method: 'POST', path: '/whep', headers: { 'Content-Type': 'application/sdp', ...headers }, body: offer });
}

async function watch(s: TestServer, headers: Record<string, string> = {}): Promise<{ peer: ViewerPeer; location: string }> {
  const peer = await createViewerPeer();
  peers.push(peer);
  const res = await postOffer(s, peer.offer, headers);
  expect(res.status, res.body.toString()).toBe(201);
  peer.accept(res.body.toString());
  return { peer, location: String(res.headers.location) };
}

describe('POST /whep', () => {
  it('answers 201 with SDP and a session Location; the viewer gets H.264 from a keyframe; the publisher is asked for video', async () => {
    const s = await start();
    const peer = await createViewerPeer();
    peers.push(peer);
    const res = await postOffer(s, peer.offer);
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/sdp');
    expect(res.headers.location).toMatch(/^\/whep\/[\w-]{16}$/);
    expect(res.headers['access-control-expose-headers']).toBe('Location');
    const answer = res.body.toString();
    expect(answer).toMatch(/^a=candidate:\S+ 1 UDP \d+ 127\.0\.0\.1 \d+ typ host\r?$/m);
    const answeredAt = Date.now();
    peer.accept(answer);
    await until('the first frame', () => peer.counts.frames > 0, 2500);
    expect(peer.firstPacketAt! - answeredAt).toBeLessThan(2500);
    await until('a second of frames', () => peer.counts.frames >= 30);
    expect(peer.counts.keyframes).toBeGreaterThanOrEqual(1);
    expect(publishers[0]!.demands.at(-1)).toEqual({ mjpeg: false, video: true });
    const metrics = (await raw(s.port, { path: '/metrics' })).body.toString();
    expect(metrics).toMatch(/^hls_webrtc_sessions_active 1$/m);
    expect(metrics).toMatch(/^hls_webrtc_sessions_started_total 1$/m);
    expect(Number(/^hls_webrtc_bytes_sent_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(10_000);
  });

  it('serves two viewers at once; DELETE stops one and not the other, then 404', async () => {
    const s = await start();
    const a = await watch(s);
    const b = await watch(s);
    await until('both playing', () => a.peer.counts.frames > 15 && b.peer.counts.frames > 15);
    const del = await raw(s.port, { method: 'DELETE', path: a.location });
    expect(del.status).toBe(204);
    const [af, bf] = [a.peer.counts.frames, b.peer.counts.frames];
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.peer.counts.frames - af).toBeLessThanOrEqual(1);
    expect(b.peer.counts.frames - bf).toBeGreaterThan(15);
    const again = await raw(s.port, { method: 'DELETE', path: a.location });
    expect(again.status).toBe(404);
    expect(again.json()).toEqual({ error: { code: 'SESSION_NOT_FOUND', message: expect.any(String) } });
    const metrics = (await raw(s.port, { path: '/metrics' })).body.toString();
    expect(metrics).toMatch(/^hls_webrtc_sessions_active 1$/m);
    expect(metrics).toMatch(/^hls_webrtc_sessions_ended_total 1$/m);
  });

  it('answers CORS preflight for the endpoint and its sessions', async () => {
    const s = await start();
    const res = await raw(s.port, {
      method: 'OPTIONS',
      path: '/whep',
      headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toBe('Content-Type, Authorization');
    expect(res.headers['accept-post']).toBe('application/sdp');
    const session = await raw(s.port, { method: 'OPTIONS', path: '/whep/abc' });
    expect(session.headers['access-control-allow-methods']).toBe('DELETE, PATCH, OPTIONS');
  });
});

describe('bad WHEP requests', () => {
  const vp8Offer = async () => {
    const peer = await createViewerPeer({ codec: 'VP8' });
    peers.push(peer);
    return peer.offer;
  };
  const mode0Offer = async () => {
    const peer = await createViewerPeer({ mode: 0 });
    peers.push(peer);
    return peer.offer;
  };
  const goodOffer = async () => {
    const peer = await createViewerPeer();
    peers.push(peer);
    return peer.offer;
  };

  it.each<[string, number, string, () => Promise<{ method?: string; path?: string; type?: string; body: string; headers?: Record<string, string> }>]>([
    ['a body that is not application/sdp', 415, 'NOT_SDP', async () => ({ type: 'application/json', body: JSON.stringify({ sdp: await goodOffer() }) })],
    ['no Content-Type', 415, 'NOT_SDP', async () => ({ type: '', body: await goodOffer() })],
    ['a malformed offer', 400, 'INVALID_OFFER', async () => ({ body: 'hello' })],
    ['an offer without ICE credentials', 400, 'INVALID_OFFER', async () => ({ body: (await goodOffer()).replace(/^a=ice-ufrag:.*\r?\n/m, '') })],
    ['an offer without H.264', 406, 'NO_H264', async () => ({ body: await vp8Offer() })],
    ['an offer with H.264 in packetization-mode 0 only', 406, 'NO_H264', async () => ({ body: await mode0Offer() })],
    ['an offer over 64 KiB', 413, 'OFFER_TOO_LARGE', async () => ({ body: `${await goodOffer()}a=x-pad:${'x'.repeat(70_000)}\r\n` })],
    ['a wrong viewer token', 401, 'VIEWER_UNAUTHORIZED', async () => ({ body: await goodOffer(), headers: { Authorization: 'Bearer nope' } })],
    ['a DELETE of a session that does not exist', 404, 'SESSION_NOT_FOUND', async () => ({ method: 'DELETE', path: '/whep/nope', body: '' })],
    [
      'a trickle PATCH',
      405,
      'TRICKLE_NOT_SUPPORTED',
      async () => ({ method: 'PATCH', path: 'SESSION', type: 'application/trickle-ice-sdpfrag', body: 'a=end-of-candidates' }),
    ],
    ['an offer past --max-webrtc-viewers', 503, 'TOO_MANY_WEBRTC_VIEWERS', async () => ({ body: await goodOffer() })],
  ])('%s: %i %s, and the viewer already watching is unaffected', async (_name, status, code, make) => {
    const s = await start({ viewerToken: 'watch', maxWebrtcViewers: 1 });
    const viewer = await watch(s, { Authorization: 'Bearer watch' });
    await until('the viewer playing', () => viewer.peer.counts.frames > 5);
    const req = await make();
    const headers: Record<string, string> = { Authorization: 'Bearer watch', ...req.headers };
    if (req.type !== '') headers['Content-Type'] = req.type ?? 'application/sdp';
    const res = await raw(s.port, {
      method: req.method ?? 'POST',
      path: req.path === 'SESSION' ? viewer.location : (req.path ?? '/whep'),
      headers,
      body: req.body,
    });
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: { code, message: expect.any(String) } });
    if (status === 503) expect(res.headers['retry-after']).toBe('5');
    const before = viewer.peer.counts.frames;
    await until('the viewer still playing', () => viewer.peer.counts.frames > before + 10);
    expect(s.streamer.webrtc.stats().active).toBe(1);
    expect(s.streamer.webrtc.stats().started).toBe(1);
  });

  it('has no WHEP endpoint and asks publishers for no video without --webrtc', async () => {
    const s = await start({ webrtc: false });
    const res = await postOffer(s, await goodOffer());
    expect(res.status).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
    expect(publishers[0]!.demands).toEqual([{ mjpeg: false, video: false }]);
  });

  it('turns WebRTC off with --max-webrtc-viewers 0', async () => {
    const s = await start({ maxWebrtcViewers: 0 });
    const res = await postOffer(s, await goodOffer());
    expect(res.status).toBe(503);
    expect(res.json().error.code).toBe('TOO_MANY_WEBRTC_VIEWERS');
  });
});

describe('a viewer that vanishes', () => {
  it('is removed by the silence timeout (about 11 s, well within 30 s), without a DELETE', async () => {
    const s = await start();
    // A viewer in its own process, killed without a word: no DELETE, no DTLS close.
    const script = fileURLToPath(new URL('../fixtures/vanishing-viewer.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const offer = await new Promise<string>((resolve) => {
        let text = '';
        child.stdout.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('\n\n')) resolve(JSON.parse(text.trim()) as string);
        });
      });
      const res = await postOffer(s, offer);
      expect(res.status).toBe(201);
      child.stdin.write(`${JSON.stringify(res.body.toString())}\n`);
      await until('the session connected', () => s.streamer.video.stats().viewers === 1, 5000);
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await until('the session removed', () => s.streamer.webrtc.stats().active === 0, 30_000);
      // The silence timeout (10 s without RTCP, checked every second); libjuice's own ICE timeout alone takes longer.
      expect(Date.now() - killedAt).toBeLessThan(15_000);
      expect(s.streamer.webrtc.stats().ended).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
