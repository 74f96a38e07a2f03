import { describe, expect, it } from 'vitest';
import { createBoxTracker } from '../../src/detect/tracker.js';

const box = (x: number, score = 0.9) => ({ x, y: 10, w: 50, h: 50, score });

describe('createBoxTracker', () => {
  it('holds boxes through short misses and drops them after holdMs', () => {
    const t = createBoxTracker({ holdMs: 300 });
    t.update([box(0)], 0);
    t.update([], 100);
    expect(t.current(250)).toHaveLength(1);
    expect(t.current(301)).toHaveLength(0);
  });

  it('smooths a moving box instead of jumping', () => {
    const t = createBoxTracker({ alpha: 0.5 });
    t.update([box(0)], 0);
    t.update([box(20)], 100);
    expect(t.current(100)[0]!.x).toBe(10);
  });

  it('keeps separate faces separate and clears', () => {
    const t = createBoxTracker();
    t.update([box(0), box(200)], 0);
    t.update([box(5), box(205)], 50);
    expect(t.current(50).map((b) => Math.round(b.x))).toEqual([3, 203]);
    t.clear();
    expect(t.current(50)).toEqual([]);
  });
});
