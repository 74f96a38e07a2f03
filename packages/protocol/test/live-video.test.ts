import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AccessUnitSplitter, concat, isKeyframe, nalType, nalUnits } from '../src/h264.js';
import {
  encodeLiveDemand,
  encodeVideoMessage,
  isVideoMessage,
  parseLiveDemand,
  parseVideoMessage,
  rtpTimestamp,
  VIDEO_HEADER_BYTES,
  VIDEO_MESSAGE_TAG,
} from '../src/live-video.js';
import { encodeDemandMessage, encodeFrameMessage, parseDemandMessage } from '../src/preview.js';

const sps = [0x67, 0x42, 0xc0, 0x1e];
const pps = [0x68, 0xce, 0x3c, 0x80];
// first_mb_in_slice = 0: the high bit of the byte after the header is set.
const idr = [0x65, 0x88, 0x84, 0x00];
const p = [0x41, 0x9a, 0x02, 0x03];
const au = (...nals: number[][]) => concat(nals.flatMap((nal) => [Uint8Array.from([0, 0, 0, 1]), Uint8Array.from(nal)]));

describe('live video messages', () => {
  it('round-trip the capture time and the access unit, and tell a keyframe', () => {
    const keyframe = au(sps, pps, idr);
    const message = encodeVideoMessage(1_700_000_000_123.5, keyframe);
    expect(message[0]).toBe(VIDEO_MESSAGE_TAG);
    expect(message.length).toBe(VIDEO_HEADER_BYTES + keyframe.length);
    expect(isVideoMessage(message)).toBe(true);
    const parsed = parseVideoMessage(message);
    expect(parsed.captureTime).toBe(1_700_000_000_123.5);
    expect([...parsed.au]).toEqual([...keyframe]);
    expect(parsed.keyframe).toBe(true);
    expect(parseVideoMessage(encodeVideoMessage(5, au(p))).keyframe).toBe(false);
  });

  it('are never mistaken for MJPEG frame messages, and the other way round', () => {
    const jpeg = Uint8Array.from([0xff, 0xd8, 1, 0xff, 0xd9]);
    expect(isVideoMessage(encodeFrameMessage(Date.now(), jpeg))).toBe(false);
    expect(isVideoMessage(encodeFrameMessage(1, jpeg))).toBe(false);
    expect(isVideoMessage(encodeVideoMessage(Date.now(), au(p)))).toBe(true);
  });

  it('parse a Buffer into a view on it', () => {
    const pool = Buffer.concat([Buffer.from([7, 7]), Buffer.from(encodeVideoMessage(42, au(p)))]);
    const parsed = parseVideoMessage(pool.subarray(2));
    expect(Buffer.isBuffer(parsed.au)).toBe(true);
    expect(parsed.au.buffer).toBe(pool.buffer);
  });

  it.each<[string, Uint8Array]>([
    ['too short', Uint8Array.from([VIDEO_MESSAGE_TAG, 1, 2])],
    [
      'another tag',
      (() => {
        const m = encodeVideoMessage(5, au(p));
        m[0] = 0x82;
        return m;
      })(),
    ],
    ['a zero capture time', encodeVideoMessage(0, au(p))],
    ['a NaN capture time', encodeVideoMessage(Number.NaN, au(p))],
    ['no start code', encodeVideoMessage(5, Uint8Array.from([1, 2, 3, 4, 5]))],
  ])('refuse %s with INVALID_VIDEO', (_name, message) => {
    expect(() => parseVideoMessage(message)).toThrow(expect.objectContaining({ code: 'INVALID_VIDEO' }));
  });
});

describe('the live demand message', () => {
  it('round-trips both wants', () => {
    for (const mjpeg of [true, false]) {
      for (const video of [true, false]) expect(parseLiveDemand(encodeLiveDemand({ mjpeg, video }))).toEqual({ mjpeg, video });
    }
  });

  it('reads as the MJPEG demand to a publisher that predates video, and as no video from such a streamer', () => {
    expect(parseDemandMessage(encodeLiveDemand({ mjpeg: true, video: false }))).toBe(true);
    expect(parseDemandMessage(encodeLiveDemand({ mjpeg: false, video: true }))).toBe(false);
    expect(parseLiveDemand(encodeDemandMessage(true))).toEqual({ mjpeg: true, video: false });
  });

  it.each(['', 'nope', '{}', '{"video":true}', 'null'])('ignores %j', (text) => {
    expect(parseLiveDemand(text)).toBeUndefined();
  });
});

describe('H.264 Annex B', () => {
  it('finds NAL units behind 3- and 4-byte start codes', () => {
    const bytes = Uint8Array.from([0, 0, 0, 1, ...sps, 0, 0, 1, ...pps, 0, 0, 0, 1, ...idr]);
    expect(nalUnits(bytes).map((nal) => [...nal])).toEqual([sps, pps, idr]);
    expect(nalUnits(bytes).map(nalType)).toEqual([7, 8, 5]);
    expect(isKeyframe(bytes)).toBe(true);
    expect(isKeyframe(au(p))).toBe(false);
  });

  it('cuts a stream fed one byte at a time into access units', () => {
    const stream = concat([au(sps, pps, idr), au(p), au([0x09, 0xf0], p), au(sps, pps, idr)]);
    const splitter = new AccessUnitSplitter();
    const out: Uint8Array[] = [];
    for (const byte of stream) out.push(...splitter.push(Uint8Array.of(byte)));
    out.push(...splitter.flush());
    expect(out.map((unit) => [...unit])).toEqual([[...au(sps, pps, idr)], [...au(p)], [...au([0x09, 0xf0], p)], [...au(sps, pps, idr)]]);
  });

  it("cuts x264's real output into one access unit per frame, keyframes where the GOP starts", () => {
    const stream = execFileSync(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:rate=30',
        '-frames:v',
        '75',
        '-c:v',
        'libx264',
        '-profile:v',
        'baseline',
        '-tune',
        'zerolatency',
        '-g',
        '30',
        '-f',
        'h264',
        'pipe:1',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const splitter = new AccessUnitSplitter();
    const units: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 4096) units.push(...splitter.push(stream.subarray(i, i + 4096)));
    units.push(...splitter.flush());
    expect(units).toHaveLength(75);
    expect(units.flatMap((unit, i) => (isKeyframe(unit) ? [i] : []))).toEqual([0, 30, 60]);
    expect(Buffer.concat(units).length).toBeGreaterThan(stream.length - 75 * 4);
  });
});

describe('RTP timestamps', () => {
  it('are the capture clock at 90 kHz, wrapping at 2^32', () => {
    expect(rtpTimestamp(1000)).toBe(90_000);
    expect(rtpTimestamp(1_700_000_000_000 + 1000 / 30) - rtpTimestamp(1_700_000_000_000)).toBe(3000);
    expect(rtpTimestamp(2 ** 32 / 90 + 1)).toBe(90);
  });
});
