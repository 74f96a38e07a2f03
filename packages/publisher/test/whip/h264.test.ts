// The H.264 and VP8 depacketizers and the jitter buffer, on real RTP packets from ffmpeg's RTP
// muxer (single NAL units, STAP-A, FU-A; VP8 payload descriptors): in order, reordered,
// duplicated and with losses. What comes out must be the sender's very NAL units and decode.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createH264Depacketizer, nalType } from '../../src/whip/h264.js';
import { createTimeline, ivfFrame, ivfHeader } from '../../src/whip/ivf.js';
import { createJitterBuffer, seqDiff } from '../../src/whip/jitter.js';
import { buildRtp, parseRtp, type RtpPacket } from '../../src/whip/rtp.js';
import type { AccessUnit, Depacketizer } from '../../src/whip/unit.js';
import { createVp8Depacketizer } from '../../src/whip/vp8.js';
import { captureRtp } from '../helpers/rtp-capture.js';
import { h264Frames, makeH264 } from '../helpers/whip-sender.js';

const run = promisify(execFile);
let work: string;
let packets: RtpPacket[];
let sourceFrames: Buffer[];

/** NAL units of an Annex B buffer, without start codes. */
function nals(annexB: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 2 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 1) {
      if (start >= 0) out.push(annexB.subarray(start, i - (annexB[i - 1] === 0 ? 1 : 0)));
      start = i + 3;
      i += 2;
    }
  }
  if (start >= 0) out.push(annexB.subarray(start));
  return out;
}

function depacketize(depacketizer: Depacketizer, input: RtpPacket[], jitterOptions = {}): AccessUnit[] {
  const jitter = createJitterBuffer(jitterOptions);
  const units: AccessUnit[] = [];
  let now = 0;
  const take = (ordered: ReturnType<typeof jitter.push>) => {
    for (const { packet, lostBefore } of ordered) {
      if (lostBefore) depacketizer.lost();
      units.push(...depacketizer.push(packet));
    }
  };
  for (const packet of input) {
    now += 1;
    take(jitter.push(packet, now));
  }
  take(jitter.poll(now + 1000));
  return units;
}

/** Frames ffprobe decodes from units written as IVF (what the capture ffmpeg reads). */
async function decodedFrames(codec: 'h264' | 'vp8', units: AccessUnit[]): Promise<{ frames: number; errors: string }> {
  const timeline = createTimeline();
  const file = join(work, `out-${Math.random().toString(36).slice(2)}.ivf`);
  await writeFile(file, Buffer.concat([ivfHeader(codec), ...units.flatMap((u) => ivfFrame(u.data, timeline(u.timestamp)))]));
  const { stdout, stderr } = await run('ffprobe', [
    '-v',
    'error',
    '-count_frames',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=nb_read_frames',
    '-of',
    'csv=p=0',
    file,
  ]);
  return { frames: Number(stdout.trim()), errors: stderr.trim() };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'whip-h264-'));
  // Keyframes every 20 frames, so a loss is followed by an IDR to resume at.
  await makeH264(join(work, 'src.h264'), { size: '640x480', seconds: 2, gop: 20 });
  sourceFrames = await h264Frames(join(work, 'src.h264'));
  packets = (await captureRtp(['-f', 'h264', '-framerate', '30', '-i', join(work, 'src.h264')], 96)).map((p) => parseRtp(p)!);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('RTP', () => {
  it('reads the packets ffmpeg sends, in an unbroken sequence', () => {
    expect(packets.every((p) => p.payloadType === 96)).toBe(true);
    for (let i = 1; i < packets.length; i++) expect(seqDiff(packets[i]!.sequence, packets[i - 1]!.sequence)).toBe(1);
    const kinds = new Set(packets.map((p) => p.payload[0]! & 0x1f));
    // STAP-A (24) and FU-A (28) from ffmpeg; single NAL unit packets come from libdatachannel's packetizer (publish.test.ts).
    expect([...kinds].sort((a, b) => a - b)).toEqual([24, 28]);
  });

  it.each([
    ['too short', Buffer.alloc(11)],
    ['version 1', Buffer.from('400000000000000000000000ff', 'hex')],
    ['RTCP sender report', Buffer.from('80c8000600000000000000000000000000000000', 'hex')],
    ['extension longer than the packet', Buffer.from('9060000100000000000000000000ffff', 'hex')],
  ])('refuses %s', (_name, data) => {
    expect(parseRtp(data)).toBeUndefined();
  });

  it('skips CSRCs, header extensions and padding to the payload', () => {
    const header = Buffer.from('b160000100000064000012340000000100000000be', 'hex');
    const body = Buffer.concat([header.subarray(0, 16), Buffer.from('bede0001aabbccdd', 'hex'), Buffer.from('65aa', 'hex'), Buffer.from('0002', 'hex')]);
    body[0] = 0x80 | 0x20 | 0x10 | 1;
    const packet = parseRtp(body)!;
    expect(packet.payload.toString('hex')).toBe('65aa');
    expect(packet).toMatchObject({ payloadType: 96, marker: false, sequence: 1, timestamp: 100 });
  });
});

describe('H.264 depacketizer', () => {
  it("gives back every frame with the sender's NAL units, and they decode", async () => {
    const units = depacketize(createH264Depacketizer(), packets);
    expect(units).toHaveLength(sourceFrames.length);
    units.forEach((unit, i) => {
      // ffmpeg's RTP muxer drops access unit delimiters; everything else arrives byte for byte.
      expect(nals(unit.data).map((n) => n.toString('hex'))).toEqual(
        nals(sourceFrames[i]!)
          .filter((n) => nalType(n) !== 9)
          .map((n) => n.toString('hex')),
      );
    });
    expect(units.filter((u) => u.keyframe)).toHaveLength(3);
    expect(await decodedFrames('h264', units)).toEqual({ frames: sourceFrames.length, errors: '' });
  });

  it('puts reordered packets back in order and ignores duplicates', async () => {
    // The first packet sets the sequence; after it each window of 6 packets arrives backwards, and every 7th twice.
    const shuffled: RtpPacket[] = [packets[0]!];
    for (let i = 1; i < packets.length; i += 6) shuffled.push(...packets.slice(i, i + 6).reverse());
    const noisy = shuffled.flatMap((p, i) => (i % 7 === 0 ? [p, p] : [p]));
    const digest = (units: AccessUnit[]) => units.map((u) => createHash('sha1').update(u.data).digest('hex'));
    expect(digest(depacketize(createH264Depacketizer(), noisy))).toEqual(digest(depacketize(createH264Depacketizer(), packets)));
  });

  it('drops the frame that lost a packet and everything up to the next keyframe, and what it gives still decodes', async () => {
    // Lose the middle of the first FU-A of frame 30 (after the second keyframe, at 20).
    const frameStarts = packets.map((p, i) => (i === 0 || p.timestamp !== packets[i - 1]!.timestamp ? i : -1)).filter((i) => i >= 0);
    const fragmented = packets.findIndex((p, i) => i > frameStarts[25]! && (p.payload[0]! & 0x1f) === 28 && !(p.payload[1]! & 0xc0));
    expect(fragmented).toBeGreaterThan(0);
    const lossy = packets.filter((_, i) => i !== fragmented);
    const depacketizer = createH264Depacketizer();
    const units = depacketize(depacketizer, lossy);
    const lostFrame = frameStarts.findLastIndex((s) => s <= fragmented);
    // Frames before the loss, then nothing until the keyframe at 40.
    expect(units).toHaveLength(lostFrame + (sourceFrames.length - 40));
    expect(units[lostFrame]!.keyframe).toBe(true);
    expect(depacketizer.stats.dropped).toBe(40 - lostFrame);
    expect(await decodedFrames('h264', units)).toEqual({ frames: units.length, errors: '' });
  });

  it('waits for a keyframe at start and after restart, and gives an IDR its last SPS and PPS', () => {
    const depacketizer = createH264Depacketizer();
    const units = depacketize(depacketizer, packets.slice(packets.findIndex((p, i) => i > 0 && p.timestamp !== packets[0]!.timestamp)));
    // Started after the first keyframe: the first unit out is the second keyframe.
    expect(units[0]!.keyframe).toBe(true);
    expect(units).toHaveLength(sourceFrames.length - 20);
    // A keyframe whose SPS and PPS were sent before it (in another STAP-A) still starts with them.
    const idrOnly = packets.filter((p) => p.timestamp === packets[0]!.timestamp && (p.payload[0]! & 0x1f) === 28);
    depacketizer.restart();
    const again = idrOnly.flatMap((p) => depacketizer.push(p));
    expect(again).toHaveLength(1);
    expect(nals(again[0]!.data).map(nalType)).toEqual([7, 8, 5]);
  });

  it('drops a fragment without its start and an unreadable STAP-A', () => {
    const depacketizer = createH264Depacketizer();
    const key = packets.filter((p) => p.timestamp === packets[0]!.timestamp);
    for (const p of key) depacketizer.push(p);
    const tail = buildRtp({ payloadType: 96, sequence: 1, timestamp: 9000, marker: true, payload: Buffer.from([0x7c, 0x41, 0x9a, 0x00]) });
    expect(depacketizer.push(parseRtp(tail)!)).toEqual([]);
    const stap = buildRtp({ payloadType: 96, sequence: 2, timestamp: 12000, marker: true, payload: Buffer.from([0x18, 0x00, 0x09, 0x67]) });
    expect(depacketizer.push(parseRtp(stap)!)).toEqual([]);
    expect(depacketizer.stats.dropped).toBe(2);
    expect(depacketizer.waiting).toBe(true);
  });
});

describe('jitter buffer', () => {
  const packet = (sequence: number): RtpPacket => ({ payloadType: 96, sequence, timestamp: 0, marker: false, ssrc: 1, payload: Buffer.alloc(0) });

  it('waits for a missing packet at most maxWaitMs, then reports the loss once', () => {
    const jitter = createJitterBuffer({ maxWaitMs: 100 });
    expect(jitter.push(packet(65534), 0).map((o) => o.packet.sequence)).toEqual([65534]);
    expect(jitter.push(packet(0), 10)).toEqual([]);
    expect(jitter.poll(50)).toEqual([]);
    expect(jitter.poll(110).map((o) => [o.packet.sequence, o.lostBefore])).toEqual([[0, 1]]);
    expect(jitter.push(packet(1), 120).map((o) => [o.packet.sequence, o.lostBefore])).toEqual([[1, 0]]);
    expect(jitter.stats.lost).toBe(1);
    expect(jitter.push(packet(65535), 130)).toEqual([]);
    expect(jitter.stats.late).toBe(1);
  });

  it('gives up on a gap when more than capacity packets wait behind it', () => {
    const jitter = createJitterBuffer({ capacity: 4, maxWaitMs: 10_000 });
    jitter.push(packet(10), 0);
    const out = [12, 13, 14, 15, 16].flatMap((s) => jitter.push(packet(s), 1));
    expect(out.map((o) => [o.packet.sequence, o.lostBefore])).toEqual([
      [12, 1],
      [13, 0],
      [14, 0],
      [15, 0],
      [16, 0],
    ]);
  });
});

describe('VP8 depacketizer', () => {
  it('gives back every frame of a real VP8 stream, and they decode', async () => {
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=640x480:rate=30',
      '-t',
      '1',
      '-c:v',
      'libvpx',
      '-g',
      '10',
      '-b:v',
      '1M',
      join(work, 'src.webm'),
    ]);
    const vp8 = (await captureRtp(['-i', join(work, 'src.webm')], 97)).map((p) => parseRtp(p)!);
    const units = depacketize(createVp8Depacketizer(), vp8);
    expect(units).toHaveLength(30);
    expect(units.filter((u) => u.keyframe)).toHaveLength(3);
    expect(await decodedFrames('vp8', units)).toEqual({ frames: 30, errors: '' });
    const lossy = depacketize(
      createVp8Depacketizer(),
      vp8.filter((_, i) => i !== Math.floor(vp8.length / 2)),
    );
    expect(lossy.length).toBeLessThan(30);
    expect(await decodedFrames('vp8', lossy)).toEqual({ frames: lossy.length, errors: '' });
  });
});

describe('IVF timeline', () => {
  it('starts at 0 and runs on across the 32-bit wrap of RTP time', () => {
    const timeline = createTimeline();
    // Steps of 0x1000, 0x1800 (across the wrap) and 0x1000 ticks.
    expect([0xffffe000, 0xfffff000, 0x800, 0x1800].map(timeline)).toEqual([0, 4096, 10_240, 14_336]);
  });

  it('never goes back', () => {
    const timeline = createTimeline();
    expect([1000, 4000, 3000, 7000].map(timeline)).toEqual([0, 3000, 3001, 7001]);
  });
});

it('writes the IVF header ffmpeg expects', () => {
  const header = ivfHeader('h264');
  expect(header.subarray(0, 4).toString()).toBe('DKIF');
  expect(header.subarray(8, 12).toString()).toBe('H264');
  expect(ivfHeader('vp8').subarray(8, 12).toString()).toBe('VP80');
  expect(header.readUInt32LE(16)).toBe(90_000);
});
