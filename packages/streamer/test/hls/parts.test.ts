import HLS from 'hls-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { addPart, checkBlockingRequest, closeOpenSegment, hasReached, mayArrive, preloadHint, type PartInput } from '../../src/hls/parts.js';
import { renderPlaylist } from '../../src/hls/playlist.js';
import { addSegment, createWindow, endStream, expired, type WindowState } from '../../src/hls/window.js';

type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;

const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const PARTS = 4;

// Segment `s`, part `i` of a stream cut into 1 s segments of four 0.25 s parts.
function part(s: number, i: number, extra: Partial<PartInput> = {}): PartInput {
  return {
    segment: `a-${s}.ts`,
    index: i,
    duration: 0.25,
    independent: i === 0,
    end: i === PARTS - 1,
    sessionId: 'a',
    programDateTime: T0 + s * 1000 + i * 250,
    declaredTarget: 1,
    declaredPartTarget: 0.25,
    ...extra,
  };
}

function feed(state: WindowState, parts: PartInput[], now = T0): WindowState {
  return parts.reduce((s, p) => addPart(s, p, now).state, state);
}

function segmentParts(s: number, count = PARTS): PartInput[] {
  return Array.from({ length: count }, (_, i) => part(s, i));
}

function parse(text: string): MediaPlaylist {
  const parsed = HLS.parse(text);
  if (!('segments' in parsed)) throw new Error('expected a media playlist');
  return parsed as MediaPlaylist;
}

describe('Low-Latency HLS playlist', () => {
  beforeAll(() => HLS.setOptions({ strictMode: true }));

  it("lists parts of the last two segments and of the open one, with a preload hint for the next part, under the run's epoch", () => {
    const state = feed(createWindow({ size: 5 }), [...segmentParts(0), ...segmentParts(1), ...segmentParts(2), ...segmentParts(3, 2)]);
    const text = renderPlaylist(state, { partEpoch: 'a1b2c3d4' });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:1',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.750',
        '#EXT-X-PART-INF:PART-TARGET=0.250',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000Z',
        '#EXTINF:1.000,',
        'segments/a-0.ts',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:01.000Z',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.1.0.ts",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.1.1.ts"',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.1.2.ts"',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.1.3.ts"',
        '#EXTINF:1.000,',
        'segments/a-1.ts',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:02.000Z',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.2.0.ts",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.2.1.ts"',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.2.2.ts"',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.2.3.ts"',
        '#EXTINF:1.000,',
        'segments/a-2.ts',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:03.000Z',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.3.0.ts",INDEPENDENT=YES',
        '#EXT-X-PART:DURATION=0.250,URI="parts/a1b2c3d4.3.1.ts"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="parts/a1b2c3d4.3.2.ts"',
        '',
      ].join('\n'),
    );
    const parsed = parse(text);
    expect(parsed.partTargetDuration).toBe(0.25);
    expect(parsed.lowLatencyCompatibility).toMatchObject({ canBlockReload: true, partHoldBack: 0.75 });
    expect(parsed.segments.map((s) => [s.uri, s.duration, s.parts.length])).toEqual([
      ['segments/a-0.ts', 1, 0],
      ['segments/a-1.ts', 1, 4],
      ['segments/a-2.ts', 1, 4],
      // The open segment: parts only, no URI yet.
      ['', undefined, 3],
    ]);
    expect(parsed.segments.at(-1)!.parts.map((p) => [p.uri, p.independent ?? false, p.hint ?? false])).toEqual([
      ['parts/a1b2c3d4.3.0.ts', true, false],
      ['parts/a1b2c3d4.3.1.ts', false, false],
      ['parts/a1b2c3d4.3.2.ts', false, true],
    ]);
    // Parts that slid out are kept fetchable for three target durations.
    expect(state.retiring).toEqual([0, 1, 2, 3].map((i) => ({ name: `0.${i}.ts`, sequence: 0, deleteAt: T0 + 3000, part: true })));
    expect(expired(state, T0 + 3000).deletable).toHaveLength(4);
  });

  it('hints part 0 of the next segment once a segment closed, and nothing after the end', () => {
    const state = feed(createWindow({ size: 5 }), segmentParts(0));
    expect(state.open).toBeNull();
    expect(renderPlaylist(state)).toContain('segments/a-0.ts\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="parts/1.0.ts"\n');
    parse(renderPlaylist(state));
    const ended = endStream(state);
    expect(renderPlaylist(ended)).not.toContain('PRELOAD-HINT');
    expect(parse(renderPlaylist(ended)).endlist).toBe(true);
  });

  it('keeps the classic playlist byte for byte when no part was ever published', () => {
    const state = addSegment(createWindow({ size: 3 }), { name: 'x.ts', duration: 2, sessionId: 'a', programDateTime: T0, declaredTarget: 2 }, T0).state;
    expect(renderPlaylist(state)).toBe(
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000Z\n#EXTINF:2.000,\nsegments/x.ts\n',
    );
  });

  it("builds the segment from its parts: exact duration, the first part's date-time, a discontinuity for a new session", () => {
    let state = feed(createWindow({ size: 5 }), segmentParts(0));
    state = feed(state, [part(1, 0, { sessionId: 'b' }), part(1, 1, { sessionId: 'b', duration: 0.15, end: true })]);
    expect(state.segments[1]).toMatchObject({ name: 'a-1.ts', sequence: 1, duration: 0.4, programDateTime: T0 + 1000, discontinuity: true });
    const parsed = parse(renderPlaylist(state));
    // The last entry is the preload hint's placeholder segment.
    expect(parsed.segments.map((s) => s.discontinuity ?? false)).toEqual([false, true, false]);
    expect(parsed.partTargetDuration).toBe(0.25);
  });

  it('closes an open segment whose last part never came when the next segment starts, and at the end', () => {
    let state = feed(createWindow({ size: 5 }), [...segmentParts(0, 2), part(1, 0)]);
    expect(state.segments.map((s) => [s.name, s.duration])).toEqual([['a-0.ts', 0.5]]);
    expect(state.open?.name).toBe('a-1.ts');
    state = closeOpenSegment(state, T0)!.state;
    expect(state.segments.map((s) => s.name)).toEqual(['a-0.ts', 'a-1.ts']);
    expect(state.open).toBeNull();
  });

  it.each([
    ['a part out of order', [part(0, 0)], part(0, 2), 'PART_OUT_OF_ORDER'],
    ['a segment that starts after part 0', [], part(0, 1), 'PART_OUT_OF_ORDER'],
    ['a segment that does not start with a keyframe', [], part(0, 0, { independent: false }), 'PART_NOT_INDEPENDENT'],
    ['a segment name already published', segmentParts(0), part(0, 0), 'SEGMENT_EXISTS'],
    ['parts over the target duration', segmentParts(0, 3).map((p) => ({ ...p, end: false })), part(0, 3, { duration: 0.8 }), 'SEGMENT_TOO_LONG'],
  ])('refuses %s, changing nothing', (_what, before, bad, code) => {
    const state = feed(createWindow({ size: 5 }), before);
    expect(() => addPart(state, bad, T0)).toThrow(expect.objectContaining({ code }));
  });
});

describe('blocking playlist reload rules', () => {
  const state = feed(createWindow({ size: 5 }), [...segmentParts(0), ...segmentParts(1, 2)]);

  it('knows which parts the playlist holds', () => {
    expect(hasReached(state, 0)).toBe(true);
    expect(hasReached(state, 1)).toBe(false);
    expect(hasReached(state, 1, 1)).toBe(true);
    expect(hasReached(state, 1, 2)).toBe(false);
    expect(hasReached(state, 2, 0)).toBe(false);
    expect(hasReached(endStream(state), 5, 0)).toBe(true);
    expect(preloadHint(state)).toEqual({ sequence: 1, index: 2 });
    expect(mayArrive(state, 1, 2)).toBe(true);
    expect(mayArrive(state, 1, 3)).toBe(false);
  });

  it('refuses requests past the last segment + 2 and past the Advance Part Limit', () => {
    expect(() => checkBlockingRequest(state, 2)).not.toThrow();
    expect(() => checkBlockingRequest(state, 3)).toThrow(expect.objectContaining({ code: 'INVALID_BLOCKING_REQUEST' }));
    expect(() => checkBlockingRequest(state, 1, 13)).not.toThrow();
    expect(() => checkBlockingRequest(state, 1, 14)).toThrow(expect.objectContaining({ code: 'INVALID_BLOCKING_REQUEST' }));
  });
});
