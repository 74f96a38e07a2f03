import { PassThrough } from 'node:stream';
import { concat } from '@hls-live/protocol';
import { describe, expect, it } from 'vitest';
import { createVideoFeed, parseWebrtc, type VideoChannel } from '../../src/webrtc/video-feed.js';

const start = Uint8Array.of(0, 0, 0, 1);
// first_mb_in_slice 0 (high bit of the byte after the header) marks the first slice of a picture.
const key = (n: number) => concat([start, Uint8Array.of(0x67, 0x42, 0xc0, 0x1e), start, Uint8Array.of(0x68, 0xce), start, Uint8Array.of(0x65, 0x88, n)]);
const p = (n: number) => concat([start, Uint8Array.of(0x41, 0x9a, n)]);
const tick = () => new Promise((r) => setImmediate(r));

function channel() {
  const sent: Array<{ n: number; captureTime: number }> = [];
  const ch: VideoChannel & { sent: typeof sent; full: boolean; videoDemand: boolean } = {
    sent,
    full: false,
    videoDemand: false,
    sendVideo(au, captureTime) {
      if (!ch.videoDemand || ch.full) return false;
      sent.push({ n: au.at(-1)!, captureTime });
      return true;
    },
  };
  return ch;
}

describe('the video feed', () => {
  it('sends nothing until asked, then the current GOP from its keyframe, then live, dated by the capture clock', async () => {
    const ch = channel();
    const feed = createVideoFeed(ch);
    const stream = new PassThrough();
    feed.attach(stream, (index) => 1000 + index);
    stream.write(concat([key(1), p(2), p(3), key(4), p(5)]));
    await tick();
    expect(ch.sent).toEqual([]);
    ch.videoDemand = true;
    feed.demandChanged(true);
    // An access unit is whole once the next one begins: key(4) is not yet, so the GOP is key(1)'s.
    expect(ch.sent).toEqual([
      { n: 1, captureTime: 1000 },
      { n: 2, captureTime: 1001 },
      { n: 3, captureTime: 1002 },
    ]);
    stream.write(p(6));
    await tick();
    expect(ch.sent.slice(3)).toEqual([{ n: 4, captureTime: 1003 }]);
    // A repeated demand message does not send the GOP again.
    feed.demandChanged(true);
    expect(ch.sent).toHaveLength(4);
  });

  it('after an access unit the socket refused, waits for the next keyframe', async () => {
    const ch = channel();
    ch.videoDemand = true;
    const feed = createVideoFeed(ch);
    feed.demandChanged(true);
    const stream = new PassThrough();
    feed.attach(stream, () => undefined);
    stream.write(concat([key(1), p(2), p(3)]));
    await tick();
    expect(ch.sent.map((s) => s.n)).toEqual([1]);
    // p(2) is whole once p(3) begins, which the next write shows: it finds the socket backed up.
    ch.full = true;
    stream.write(p(4));
    await tick();
    ch.full = false;
    stream.write(concat([key(5), p(6)]));
    stream.end();
    await tick();
    expect(ch.sent.map((s) => s.n)).toEqual([1, 5, 6]);
    expect(feed.stats()).toMatchObject({ units: 6, sent: 3, dropped: 3 });
  });

  it('starts each encoder run afresh: the old GOP is not sent', async () => {
    const ch = channel();
    const feed = createVideoFeed(ch);
    const first = new PassThrough();
    feed.attach(first, () => 1);
    first.write(concat([key(1), p(2), p(3)]));
    await tick();
    feed.attach(new PassThrough(), () => 2);
    ch.videoDemand = true;
    feed.demandChanged(true);
    expect(ch.sent).toEqual([]);
  });

  it('parses --webrtc on|off', () => {
    expect(parseWebrtc('on')).toBe(true);
    expect(parseWebrtc('OFF')).toBe(false);
    expect(() => parseWebrtc('yes')).toThrow(/--webrtc/);
  });
});
