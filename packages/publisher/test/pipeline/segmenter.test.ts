import { describe, expect, it } from 'vitest';
import { createCaptureClock, createSegmenter, parseSegmentListLine } from '../../src/pipeline/segmenter.js';

describe('parseSegmentListLine', () => {
  it.each([
    ['p1-00000.ts,0.000000,2.000000', { name: 'p1-00000.ts', start: 0, end: 2 }],
    ['p1-00003.ts,6.000000,6.760000\r', { name: 'p1-00003.ts', start: 6, end: 6.76 }],
    ['"odd,name.ts",2.000000,4.000000', { name: 'odd,name.ts', start: 2, end: 4 }],
    ['"say ""hi"".ts",0.5,1', { name: 'say "hi".ts', start: 0.5, end: 1 }],
  ])('parses %j', (line, expected) => {
    expect(parseSegmentListLine(line)).toEqual(expected);
  });

  it.each(['', '   ', 'no-commas.ts', ',0,2', 'a.ts,2', 'a.ts,x,2', 'a.ts,2,2', 'a.ts,3,2', 'a.ts,0,2,9', '"open.ts,0,2', 'a.ts,-1,2'])(
    'ignores %j',
    (line) => {
      expect(parseSegmentListLine(line)).toBeUndefined();
    },
  );
});

describe('createSegmenter', () => {
  it('takes the duration from the list and the program date-time from the first frame capture time', () => {
    const clock = createCaptureClock(8, 25);
    // frame 50 (t = 2 s at 25 fps) was captured at a known wall time
    for (let i = 48; i < 56; i++) clock.record(i, 1_700_000_000_000 + i * 40 + 3);
    const segmenter = createSegmenter({ dir: '/tmp/x', fps: 25, clock });
    expect(segmenter.line('s-00001.ts,2.000000,3.960000')).toEqual({
      name: 's-00001.ts',
      path: '/tmp/x/s-00001.ts',
      start: 2,
      duration: 1.96,
      programDateTime: new Date(1_700_000_000_000 + 50 * 40 + 3),
    });
    expect(segmenter.line('garbage')).toBeUndefined();
  });

  it('estimates a capture time that left the ring from the latest one', () => {
    const clock = createCaptureClock(4, 10);
    for (let i = 0; i < 20; i++) clock.record(i, 1000 + i * 100);
    expect(clock.timeOf(19)).toBe(2900);
    expect(clock.timeOf(5)).toBe(1500);
    expect(createCaptureClock(4, 10).timeOf(3)).toBeUndefined();
  });
});

describe('createSegmenter with Low-Latency HLS parts', () => {
  it('groups every N parts into a segment: keyframe part first, last part closes it, each with its own capture time', () => {
    const clock = createCaptureClock(256, 30);
    for (let i = 0; i < 130; i++) clock.record(i, 1_700_000_000_000 + i * 33);
    const segmenter = createSegmenter({ dir: '/tmp/x', fps: 30, clock, parts: { perSegment: 6, seconds: 1 / 3, segmentSeconds: 2, namePrefix: 'pS' } });
    const lines = Array.from({ length: 8 }, (_, i) => `pS-p${i}.ts,${(i / 3).toFixed(6)},${((i + 1) / 3).toFixed(6)}`);
    const parts = lines.map((line) => segmenter.line(line)!);
    expect(parts.map((p) => [p.part!.segment, p.part!.index, p.part!.independent, p.part!.end])).toEqual([
      ['pS-00000.ts', 0, true, false],
      ['pS-00000.ts', 1, false, false],
      ['pS-00000.ts', 2, false, false],
      ['pS-00000.ts', 3, false, false],
      ['pS-00000.ts', 4, false, false],
      ['pS-00000.ts', 5, false, true],
      ['pS-00001.ts', 0, true, false],
      ['pS-00001.ts', 1, false, false],
    ]);
    expect(parts[6]).toMatchObject({ name: 'pS-p6.ts', duration: 0.333333, programDateTime: new Date(1_700_000_000_000 + 60 * 33) });
  });
});
