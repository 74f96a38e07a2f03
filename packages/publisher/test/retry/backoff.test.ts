import { describe, expect, it } from 'vitest';
import { backoff, failureWindow } from '../../src/retry/backoff.js';

const take = (b: { next(): number }, n: number) => Array.from({ length: n }, () => b.next());

describe('backoff', () => {
  it('grows by the factor from the first delay up to the cap', () => {
    expect(take(backoff({ minMs: 250, maxMs: 4000 }), 7)).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000]);
    expect(take(backoff({ minMs: 100, maxMs: 1000, factor: 3 }), 4)).toEqual([100, 300, 900, 1000]);
  });

  it('starts again from the first delay after reset, and counts attempts', () => {
    const b = backoff({ minMs: 500, maxMs: 30_000 });
    take(b, 3);
    expect(b.attempts).toBe(3);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(take(b, 2)).toEqual([500, 1000]);
  });

  it('stays at the cap, never Infinity, after very many attempts', () => {
    const b = backoff({ minMs: 1, maxMs: 60_000 });
    expect(take(b, 2000).at(-1)).toBe(60_000);
  });

  it('takes up to the jitter fraction off each delay', () => {
    expect(take(backoff({ minMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 1 }), 3)).toEqual([500, 1000, 2000]);
    expect(take(backoff({ minMs: 1000, maxMs: 8000, jitter: 0.5, random: () => 0 }), 3)).toEqual([1000, 2000, 4000]);
  });

  it('lets a cap below the first delay win, and refuses a shrinking factor', () => {
    expect(take(backoff({ minMs: 10, maxMs: 5 }), 2)).toEqual([5, 5]);
    expect(() => backoff({ minMs: 10, maxMs: 50, factor: 0.5 })).toThrow(RangeError);
  });
});

describe('failureWindow', () => {
  it('gives up at the max failures within the window, and forgets older ones', () => {
    let t = 0;
    const w = failureWindow({ max: 3, windowMs: 1000, now: () => t });
    expect(w.record()).toBe(false);
    t = 400;
    expect(w.record()).toBe(false);
    t = 1300; // the first has left the window
    expect(w.record()).toBe(false);
    expect(w.recent).toBe(2);
    t = 1350;
    expect(w.record()).toBe(true);
  });
});
