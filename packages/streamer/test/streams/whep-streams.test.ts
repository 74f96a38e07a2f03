// WebRTC playback per stream: `/live/<name>/whep` sends that stream's video (and asks only its
// publisher for video); `/whep` stays `default`'s.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { raw, useServers } from '../helpers/server.js';
import { createViewerPeer, feedVideo, freeUdpPort, type LivePublisher, makeAccessUnits, until, type ViewerPeer } from '../helpers/webrtc.js';

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

describe('WHEP per stream', () => {
  it('plays a named stream from /live/<name>/whep, asking only its publisher for video', async () => {
    const s = await server({ webrtc: true, webrtcPort: await freeUdpPort(), webrtcHost: '127.0.0.1' });
    const cam = await feedVideo(s.port, units, 30, undefined, 'cam');
    const other = await feedVideo(s.port, units, 30);
    publishers.push(cam, other);
    const peer = await createViewerPeer();
    peers.push(peer);
    const res = await raw(s.port, { method: 'POST', path: '/live/cam/whep', headers: { 'Content-Type': 'application/sdp' }, body: peer.offer });
    expect(res.status, res.body.toString()).toBe(201);
    expect(res.headers.location).toMatch(/^\/live\/cam\/whep\/[\w-]{16}$/);
    peer.accept(res.body.toString());
    await until('frames of cam', () => peer.counts.frames >= 15);
    expect(cam.demands.at(-1)).toEqual({ mjpeg: false, video: true });
    expect(other.demands.some((d) => d.video)).toBe(false);
    expect(s.streamer.streams.get('cam')!.watch.watched()).toBe(true);
    const { streams } = (await raw(s.port, { path: '/streams.json' })).json();
    expect(streams.map((e: { urls: { webrtc: string } }) => e.urls.webrtc)).toEqual(['/live/cam/whep', '/whep']);
    expect((await raw(s.port, { method: 'DELETE', path: String(res.headers.location) })).status).toBe(204);
    expect((await raw(s.port, { method: 'POST', path: '/live/nobody/whep', headers: { 'Content-Type': 'application/sdp' }, body: peer.offer })).status).toBe(
      404,
    );
  });
});
