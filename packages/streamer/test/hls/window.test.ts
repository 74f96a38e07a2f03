import { describe, expect, it } from 'vitest';
import {
  addSegment,
  checkSegment,
  createWindow,
  endStream,
  expired,
  nextDeletion,
  roundedDuration,
  type SegmentInput,
  type WindowState,
} from '../../src/hls/window.js';

const T0 = Date.parse('2024-05-01T10:00:00.000Z');

function input(i: number, extra: Partial<SegmentInput> = {}): SegmentInput {
  return { name: `a-${String(i).padStart(5, '0')}.ts`, duration: 2, sessionId: 'a', programDateTime: T0 + i * 2000, declaredTarget: 2, ...extra };
}

function addAll(state: WindowState, inputs: SegmentInput[], now = T0): WindowState {
  return inputs.reduce((s, i) => addSegment(s, i, now).state, state);
}

describe('window', () => {
  it('keeps the last `size` segments and moves the media sequence with them', () => {
    const state = addAll(
      createWindow({ size: 3 }),
      [0, 1, 2, 3, 4].map((i) => input(i)),
    );
    expect(state.segments.map((s) => s.sequence)).toEqual([2, 3, 4]);
    expect(state.mediaSequence).toBe(2);
    expect(state.nextSequence).toBe(5);
    expect(state.retiring.map((s) => s.name)).toEqual(['a-00000.ts', 'a-00001.ts']);
  });

  it('never reuses a media sequence number, not even after end and a new stream', () => {
    let state = addAll(
      createWindow({ size: 2 }),
      [0, 1, 2].map((i) => input(i)),
    );
    state = endStream(state);
    state = addAll(
      state,
      [0, 1].map((i) => input(i, { name: `b-${i}.ts`, sessionId: 'b' })),
    );
    expect(state.segments.map((s) => s.sequence)).toEqual([3, 4]);
    expect(state.mediaSequence).toBe(3);
  });

  it('marks a discontinuity where the session changes, and counts it when it slides out', () => {
    let state = addAll(createWindow({ size: 3 }), [input(0), input(1)]);
    state = addAll(state, [input(2, { sessionId: 'b' }), input(3, { sessionId: 'b' })]);
    expect(state.segments.map((s) => s.discontinuity)).toEqual([false, true, false]);
    expect(state.discontinuitySequence).toBe(0);
    state = addAll(state, [input(4, { sessionId: 'b' })]);
    expect(state.segments.map((s) => s.discontinuity)).toEqual([true, false, false]);
    expect(state.discontinuitySequence).toBe(0);
    state = addAll(state, [input(5, { sessionId: 'b' })]);
    expect(state.discontinuitySequence).toBe(1);
    expect(state.segments.some((s) => s.discontinuity)).toBe(false);
  });

  it('gives the first segment ever no discontinuity, and a reopened stream one even from the same session', () => {
    let state = addAll(createWindow({ size: 5 }), [input(0)]);
    expect(state.segments[0]?.discontinuity).toBe(false);
    state = addAll(endStream(state), [input(1)]);
    expect(state.ended).toBe(false);
    expect(state.segments[1]?.discontinuity).toBe(true);
  });

  it('fixes the target from the first segment and keeps it while live', () => {
    let state = addAll(createWindow({ size: 5 }), [input(0, { declaredTarget: 4 })]);
    expect(state.targetDuration).toBe(4);
    // A restarted publisher declaring 6 does not change a live stream's target...
    state = addAll(state, [input(1, { sessionId: 'b', declaredTarget: 6, duration: 4.4 })]);
    expect(state.targetDuration).toBe(4);
    // ...and its longer segments are refused.
    expect(() => checkSegment(state, input(2, { sessionId: 'b', declaredTarget: 6, duration: 5 }))).toThrow(
      expect.objectContaining({ code: 'SEGMENT_TOO_LONG' }),
    );
  });

  it('takes the target from config first, then the declared header, then the first duration', () => {
    expect(addSegment(createWindow({ size: 3, targetDuration: 6 }), input(0, { declaredTarget: 2 }), T0).state.targetDuration).toBe(6);
    expect(addSegment(createWindow({ size: 3 }), input(0, { declaredTarget: 3 }), T0).state.targetDuration).toBe(3);
    expect(addSegment(createWindow({ size: 3 }), input(0, { declaredTarget: undefined, duration: 2.2 }), T0).state.targetDuration).toBe(3);
    expect(addSegment(createWindow({ size: 3 }), input(0, { declaredTarget: undefined, duration: 0.1 }), T0).state.targetDuration).toBe(1);
  });

  it('after end, a new stream takes max(declared, longest rounded EXTINF still listed)', () => {
    let state = addAll(createWindow({ size: 5 }), [input(0, { declaredTarget: 6, duration: 5.4 })]);
    state = endStream(state);
    state = addAll(state, [input(1, { sessionId: 'b', declaredTarget: 2, duration: 2 })]);
    expect(state.targetDuration).toBe(5);
    state = addAll(endStream(state), [input(2, { sessionId: 'c', declaredTarget: 8, duration: 2 })]);
    expect(state.targetDuration).toBe(8);
  });

  it('applies the rounding rule to the EXTINF as written', () => {
    expect(roundedDuration(2.4)).toBe(2);
    expect(roundedDuration(2.5)).toBe(3);
    // Written as 2.500, which clients round up.
    expect(roundedDuration(2.4996)).toBe(3);
    const state = createWindow({ size: 3 });
    expect(() => checkSegment(state, input(0, { duration: 2.49 }))).not.toThrow();
    expect(() => checkSegment(state, input(0, { duration: 2.4996 }))).toThrow(expect.objectContaining({ code: 'SEGMENT_TOO_LONG' }));
  });

  it('refuses a name still listed or still retiring, and leaves the state as it was', () => {
    const state = addAll(createWindow({ size: 1 }), [input(0), input(1)]);
    const before = JSON.stringify(state);
    for (const name of ['a-00000.ts', 'a-00001.ts']) {
      expect(() => addSegment(state, input(7, { name }), T0)).toThrow(expect.objectContaining({ code: 'SEGMENT_EXISTS' }));
    }
    expect(JSON.stringify(state)).toBe(before);
  });

  it('retires a slid-out segment for its duration plus the duration of the playlist that listed it', () => {
    let state = addAll(createWindow({ size: 2 }), [input(0), input(1)], T0);
    state = addSegment(state, input(2), T0 + 10_000).state;
    // Listed by a 4 s playlist, itself 2 s long: 6 s after its removal.
    expect(state.retiring).toEqual([{ name: 'a-00000.ts', sequence: 0, deleteAt: T0 + 16_000 }]);
    expect(nextDeletion(state)).toBe(T0 + 16_000);
    expect(expired(state, T0 + 15_999).deletable).toEqual([]);
    const after = expired(state, T0 + 16_000);
    expect(after.deletable.map((s) => s.name)).toEqual(['a-00000.ts']);
    expect(after.state.retiring).toEqual([]);
    expect(nextDeletion(after.state)).toBeUndefined();
    // A deleted name may be used again.
    expect(() => checkSegment(after.state, input(0, { name: 'a-00000.ts' }))).not.toThrow();
  });

  it('bumps the version only when the playlist changes; end is idempotent', () => {
    const state = addAll(createWindow({ size: 2 }), [input(0)]);
    const ended = endStream(state);
    expect(ended.version).toBe(state.version + 1);
    expect(endStream(ended)).toBe(ended);
    expect(expired(ended, T0).state).toBe(ended);
  });

  it('is plain data that survives JSON', () => {
    const state = addAll(createWindow({ size: 2 }), [input(0), input(1), input(2, { sessionId: 'b' })]);
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });
});
