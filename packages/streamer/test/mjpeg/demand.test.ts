import { describe, expect, it } from 'vitest';
import { createDemandTracker } from '../../src/mjpeg/demand.js';

describe('createDemandTracker', () => {
  it('is off until someone watches', () => {
    const d = createDemandTracker(1000);
    expect(d.wanted(0)).toBe(false);
    expect(d.expiresAt(0)).toBeUndefined();
  });

  it('stays on while a viewer is connected, then for idleMs after the last one leaves', () => {
    const d = createDemandTracker(1000);
    d.viewerJoined(100);
    d.viewerJoined(200);
    expect(d.wanted(50_000)).toBe(true);
    expect(d.expiresAt(50_000)).toBeUndefined();
    d.viewerLeft(60_000);
    expect(d.wanted(70_000)).toBe(true);
    d.viewerLeft(70_000);
    expect(d.expiresAt(70_000)).toBe(71_000);
    expect(d.wanted(70_999)).toBe(true);
    expect(d.wanted(71_000)).toBe(false);
    expect(d.expiresAt(71_000)).toBeUndefined();
  });

  it('turns on for idleMs with a snapshot, extended by the next one', () => {
    const d = createDemandTracker(1000);
    d.touched(0);
    expect(d.wanted(0)).toBe(true);
    d.touched(800);
    expect(d.wanted(1500)).toBe(true);
    expect(d.wanted(1800)).toBe(false);
  });

  it('never counts below zero viewers', () => {
    const d = createDemandTracker(10);
    d.viewerLeft(0);
    d.viewerJoined(0);
    expect(d.wanted(1000)).toBe(true);
  });
});
