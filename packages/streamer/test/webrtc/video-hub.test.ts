import { describe, expect, it } from 'vitest';
import { concat, type VideoMessage } from '@hls-live/protocol';
import { createVideoHub, type AccessUnit } from '../../src/webrtc/video-hub.js';

const start = Uint8Array.of(0, 0, 0, 1);
const sps = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e);
const pps = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
const key = (n: number, withSets = true): VideoMessage => ({
  captureTime: 1000 + n,
  keyframe: true,
  au: concat(withSets ? [start, sps, start, pps, start, Uint8Array.of(0x65, 0x88, n)] : [start, Uint8Array.of(0x65, 0x88, n)]),
});
const p = (n: number): VideoMessage => ({ captureTime: 1000 + n, keyframe: false, au: concat([start, Uint8Array.of(0x41, 0x9a, n)]) });

function recorder() {
  const got: Array<{ n: number; burst: boolean; keyframe: boolean }> = [];
  const sink = (unit: AccessUnit, burst: boolean) => got.push({ n: unit.captureTime - 1000, burst, keyframe: unit.keyframe });
  return { got, sink };
}

describe('the video hub', () => {
  it('starts a new viewer from the last keyframe, then live', () => {
    const hub = createVideoHub({ idleMs: 1000 });
    for (const m of [key(0), p(1), p(2), key(3), p(4)]) hub.publish(m);
    const { got, sink } = recorder();
    hub.subscribe(sink);
    hub.publish(p(5));
    expect(got).toEqual([
      { n: 3, burst: true, keyframe: true },
      { n: 4, burst: true, keyframe: false },
      { n: 5, burst: false, keyframe: false },
    ]);
    expect(hub.replay(sink)).toBe(true);
    expect(got.slice(3).map((g) => g.n)).toEqual([3, 4, 5]);
    hub.close();
  });

  it('drops predicted frames until a keyframe after a gap (demand off, publisher reconnect)', () => {
    let now = 0;
    const hub = createVideoHub({ idleMs: 1000, now: () => now });
    const { got, sink } = recorder();
    const leave = hub.subscribe(sink);
    expect(hub.demand()).toBe(true);
    hub.publish(p(0));
    hub.publish(key(1));
    hub.publish(p(2));
    expect(got.map((g) => g.n)).toEqual([1, 2]);
    leave();
    now += 5000;
    hub.subscribe(sink);
    // Still warm within the idle time after the last viewer left: no gap.
    hub.publish(p(3));
    expect(got.map((g) => g.n)).toEqual([1, 2, 1, 2, 3]);
    hub.setPublisherConnected(true);
    hub.publish(p(4));
    hub.publish(key(5));
    expect(got.map((g) => g.n)).toEqual([1, 2, 1, 2, 3, 5]);
    expect(hub.stats()).toMatchObject({ dropped: 2, keyframes: 2, gopFrames: 1 });
    hub.close();
  });

  it('turns demand off idleMs after the last viewer and forgets the GOP then', async () => {
    const hub = createVideoHub({ idleMs: 50 });
    const changes: boolean[] = [];
    hub.onDemand((d) => changes.push(d));
    const leave = hub.subscribe(() => {});
    hub.publish(key(0));
    leave();
    expect(hub.demand()).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(changes).toEqual([true, false]);
    expect(hub.stats().gopFrames).toBe(0);
    hub.close();
  });

  it('gives a keyframe without parameter sets the last ones seen', () => {
    const hub = createVideoHub({ idleMs: 1000 });
    hub.publish(key(0));
    hub.publish(key(1, false));
    const units: AccessUnit[] = [];
    hub.subscribe((unit) => units.push(unit));
    expect([...units[0]!.au]).toEqual([...concat([start, sps, start, pps, start, Uint8Array.of(0x65, 0x88, 1)])]);
    hub.close();
  });
});
