import { describe, expect, it } from 'vitest';
import { parseSavedState, referencedNames, restoreWindow, SavedStateError } from '../../src/hls/restore.js';
import { addSegment, createWindow, type SegmentInput, type WindowState } from '../../src/hls/window.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const input = (i: number, sessionId = 'a'): SegmentInput => ({
  name: `${sessionId}-${i}.ts`,
  duration: 2,
  sessionId,
  programDateTime: T0 + i * 2000,
  declaredTarget: 2,
});

function grown(count: number, size = 3): WindowState {
  let state = createWindow({ size });
  for (let i = 0; i < count; i++) state = addSegment(state, input(i), T0).state;
  return state;
}

// What the state file holds: the state after a JSON round trip.
const saved = (state: WindowState) => parseSavedState(JSON.parse(JSON.stringify(state)));
const all = () => true;

describe('parseSavedState', () => {
  it('accepts a saved window as it was', () => {
    const state = grown(5);
    expect(saved(state)).toEqual(state);
  });

  it.each([
    ['not an object', []],
    ['a segment named with a path', { ...grown(2), segments: [{ ...grown(2).segments[0], name: '../x.ts' }] }],
    ['a negative media sequence', { ...grown(2), mediaSequence: -1 }],
    ['segments out of order', { ...grown(3), segments: [...grown(3).segments].reverse() }],
    ['a next sequence behind the last segment', { ...grown(3), nextSequence: 1 }],
    ['a non-numeric target', { ...grown(1), targetDuration: '2' }],
  ])('refuses %s', (_what, value) => {
    expect(() => parseSavedState(JSON.parse(JSON.stringify(value)))).toThrow(SavedStateError);
  });
});

describe('restoreWindow', () => {
  it('continues the media sequence, discontinuity sequence and target duration', () => {
    const before = grown(5);
    const after = restoreWindow(saved(before), before.config, all, T0 + 1000);
    expect(after.segments).toEqual(before.segments);
    expect(after.retiring).toEqual(before.retiring);
    expect(after.mediaSequence).toBe(2);
    expect(after.nextSequence).toBe(5);
    expect(after.targetDuration).toBe(2);
    expect(after.version).toBeGreaterThan(before.version);
    const next = addSegment(after, input(5), T0 + 2000);
    expect(next.segment.sequence).toBe(5);
    expect(next.segment.discontinuity).toBe(false);
  });

  it('marks a discontinuity when a different session publishes after the restart', () => {
    const after = restoreWindow(saved(grown(3)), { size: 3 }, all, T0);
    expect(addSegment(after, input(0, 'b'), T0).segment.discontinuity).toBe(true);
    expect(addSegment(after, input(3, 'a'), T0).segment.discontinuity).toBe(false);
  });

  it('drops a segment whose file is gone, with every one before it, and never moves the sequence back', () => {
    const before = grown(5);
    const after = restoreWindow(saved(before), before.config, (name) => name !== 'a-3.ts', T0);
    expect(after.segments.map((s) => s.sequence)).toEqual([4]);
    expect(after.mediaSequence).toBe(4);
    const none = restoreWindow(saved(before), before.config, () => false, T0);
    expect(none.segments).toEqual([]);
    expect(none.retiring).toEqual([]);
    expect(none.mediaSequence).toBe(5);
    expect(addSegment(none, input(5), T0).segment.sequence).toBe(5);
  });

  it('retires what a smaller window no longer lists', () => {
    const before = grown(5, 5);
    const after = restoreWindow(saved(before), { size: 2 }, all, T0);
    expect(after.segments.map((s) => s.sequence)).toEqual([3, 4]);
    expect(after.mediaSequence).toBe(3);
    expect(after.retiring.map((s) => s.sequence)).toEqual([0, 1, 2]);
    expect(after.retiring.every((s) => s.deleteAt > T0)).toBe(true);
    expect(referencedNames(after)).toEqual(new Set(['a-0.ts', 'a-1.ts', 'a-2.ts', 'a-3.ts', 'a-4.ts']));
  });

  it('counts a discontinuity that slid out while restoring', () => {
    let state = grown(2, 4);
    state = addSegment(state, input(0, 'b'), T0).state;
    state = addSegment(state, input(1, 'b'), T0).state;
    const after = restoreWindow(saved(state), { size: 1 }, all, T0);
    expect(after.discontinuitySequence).toBe(1);
  });
});
