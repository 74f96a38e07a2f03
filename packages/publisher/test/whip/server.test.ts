// The WHIP endpoint's answers while a publisher (shaped as OBS's: H.264 and Opus, a bearer token)
// is live: every bad request is a JSON error with its code, and none disturbs the live stream.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WHIP_ERRORS, type WhipErrorCode } from '@hls-live/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, OptionError, type Publisher } from '../../src/index.js';
import { createWhipServer, type WhipServer } from '../../src/whip/server.js';
import { isAlive } from '../helpers/media.js';
import { startStreamer, waitFor, type RealStreamer } from '../helpers/streamer.js';
import { h264Frames, makeH264, makeOffer, startWhipSender, type WhipSender } from '../helpers/whip-sender.js';

const TOKEN = 'whip-s3cret';
let work: string;
let streamer: RealStreamer;
let whip: WhipServer;
let url: string;
let publisher: Publisher;
let sender: WhipSender;
let goodOffer: string;
let spare: Awaited<ReturnType<typeof makeOffer>> | undefined;
const pids = new Set<number>();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'whip-server-'));
  await makeH264(join(work, 'a.h264'), { size: '320x240', gop: 30 });
  streamer = await startStreamer();
  whip = createWhipServer({ port: 0, host: '127.0.0.1', token: TOKEN });
  url = await whip.listen();
  publisher = createPublisher({ input: 'whip', whip, streamer: streamer.url, width: 320, height: 240, fps: 30, segmentSeconds: 1, tempDir: work });
  await publisher.start();
  // Kept open to the end: closing a peer connection while the next one is being made upsets libdatachannel.
  spare = await makeOffer(true);
  goodOffer = spare.offer;
});

afterAll(async () => {
  spare?.pc.close();
  await publisher?.stop();
  await whip?.close();
  await streamer?.close();
  await rm(work, { recursive: true, force: true });
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

const auth = { Authorization: `Bearer ${TOKEN}` };
const segmentCount = () => streamer.streamer.live.state().segments.length;

describe('WHIP server', () => {
  it('accepts an OBS-shaped offer (H.264 + Opus, bearer token) and publishes it', async () => {
    sender = await startWhipSender({ url, token: TOKEN, audio: true });
    expect(sender.status).toBe(201);
    expect(sender.body).toMatch(/m=audio \d+ UDP\/TLS\/RTP\/SAVPF 111/);
    sender.play(await h264Frames(join(work, 'a.h264')), 30);
    await waitFor('2 segments', () => segmentCount() >= 2, 10_000);
    for (const pid of publisher.pids()) pids.add(pid);
  });

  type Row = [string, string, string | (() => string), Record<string, string>, () => string | undefined, WhipErrorCode];
  it.each<Row>([
    ['no token', 'POST', '/whip', { 'Content-Type': 'application/sdp' }, () => goodOffer, 'UNAUTHORIZED'],
    ['a wrong token', 'POST', '/whip', { 'Content-Type': 'application/sdp', Authorization: 'Bearer nope' }, () => goodOffer, 'UNAUTHORIZED'],
    ['a Basic credential', 'POST', '/whip', { 'Content-Type': 'application/sdp', Authorization: `Basic ${TOKEN}` }, () => goodOffer, 'UNAUTHORIZED'],
    ['a JSON body', 'POST', '/whip', { ...auth, 'Content-Type': 'application/json' }, () => JSON.stringify({ sdp: goodOffer }), 'NOT_SDP'],
    ['no content type', 'POST', '/whip', { ...auth }, () => goodOffer, 'NOT_SDP'],
    ['a malformed offer', 'POST', '/whip', { ...auth, 'Content-Type': 'application/sdp' }, () => 'v=0\r\nhello', 'INVALID_OFFER'],
    ['an offer with no media', 'POST', '/whip', { ...auth, 'Content-Type': 'application/sdp' }, () => goodOffer.split(/\r?\nm=/)[0]!, 'INVALID_OFFER'],
    [
      'an offer without a usable video codec',
      'POST',
      '/whip',
      { ...auth, 'Content-Type': 'application/sdp' },
      () => goodOffer.replace(/H264\/90000/g, 'H265/90000'),
      'NO_USABLE_CODEC',
    ],
    [
      'an audio-only offer',
      'POST',
      '/whip',
      { ...auth, 'Content-Type': 'application/sdp' },
      () => goodOffer.replace(/m=video[\s\S]*?(?=m=audio)/, ''),
      'NO_USABLE_CODEC',
    ],
    ['an offer over 64 KiB', 'POST', '/whip', { ...auth, 'Content-Type': 'application/sdp' }, () => goodOffer + 'a=x:'.padEnd(70_000, 'x'), 'OFFER_TOO_LARGE'],
    ['a second publisher', 'POST', '/whip', { ...auth, 'Content-Type': 'application/sdp; charset=utf-8' }, () => goodOffer, 'PUBLISHER_BUSY'],
    ['DELETE of an unknown session', 'DELETE', '/whip/w123', auth, () => undefined, 'SESSION_NOT_FOUND'],
    ['DELETE of the live session without the token', 'DELETE', () => sender.location!, {}, () => undefined, 'UNAUTHORIZED'],
    [
      'trickle ICE (PATCH)',
      'PATCH',
      () => sender.location!,
      { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' },
      () => 'a=candidate:1',
      'TRICKLE_NOT_SUPPORTED',
    ],
    ['GET on the endpoint', 'GET', '/whip', auth, () => undefined, 'NOT_FOUND'],
    ['a path outside the page', 'GET', '/%2e%2e/package.json', {}, () => undefined, 'NOT_FOUND'],
    ['a path that is not UTF-8', 'GET', '/%ff%fe', {}, () => undefined, 'NOT_FOUND'],
  ])('refuses %s with a JSON error, leaving the live stream alone', async (_name, method, path, headers, body, code) => {
    const before = whip.live();
    const res = await fetch(`${url}${typeof path === 'function' ? path() : path}`, { method, headers, body: body() });
    expect(res.status).toBe(WHIP_ERRORS[code]);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: { code, message: expect.any(String) } });
    if (code === 'UNAUTHORIZED') expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(whip.live()).toBe(before);
  });

  it('kept publishing through all of them', async () => {
    const before = segmentCount();
    await waitFor('2 more segments', () => segmentCount() >= before + 2, 5000);
    // One session throughout: the publisher's own, or `r<n>` if the stand-in sender had to take back
    // an attempt at its start (whip-sender.ts), which uses up an encoder run.
    expect([...new Set(streamer.sessions())]).toEqual([expect.stringMatching(new RegExp(`^${publisher.sessionId}(r\\d+)?$`))]);
  });

  it('answers a CORS preflight with Accept-Post', async () => {
    const res = await fetch(`${url}/whip`, { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('accept-post')).toBe('application/sdp');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });

  it('ends the session on DELETE with the token', async () => {
    expect(await sender.remove()).toBe(200);
    await waitFor('session gone', () => whip.live() === undefined && publisher.pids().length === 0, 8000);
  });
});

describe('exposure', () => {
  it.each([
    [{ host: '0.0.0.0' }, '--whip-token'],
    [{ host: '192.168.1.2' }, '--whip-token'],
    [{ host: '127.0.0.1', tlsCert: 'cert.pem' }, '--tls-key'],
  ])('refuses %j', (options, option) => {
    expect(() => createWhipServer(options)).toThrow(OptionError);
    expect(() => createWhipServer(options)).toThrow(option);
  });

  it.each([[{ host: '0.0.0.0', token: 't' }], [{ host: '0.0.0.0', allowOpen: true }], [{ host: 'localhost' }], [{ host: '::1' }]])('takes %j', (options) => {
    expect(() => createWhipServer(options)).not.toThrow();
  });
});
