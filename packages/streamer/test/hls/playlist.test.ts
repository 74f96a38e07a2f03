import HLS from 'hls-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderPlaylist } from '../../src/hls/playlist.js';
import { addSegment, createWindow, endStream, type SegmentInput, type WindowState } from '../../src/hls/window.js';

type MediaPlaylist = InstanceType<typeof HLS.types.MediaPlaylist>;

const T0 = Date.parse('2024-05-01T10:00:00.000Z');

function input(i: number, extra: Partial<SegmentInput> = {}): SegmentInput {
  return { name: `a-${i}.ts`, duration: 2, sessionId: 'a', programDateTime: T0 + i * 2000, declaredTarget: 2, ...extra };
}

function build(size: number, inputs: SegmentInput[]): WindowState {
  return inputs.reduce((s, i) => addSegment(s, i, T0).state, createWindow({ size }));
}

function parse(text: string): MediaPlaylist {
  const parsed = HLS.parse(text);
  if (!('segments' in parsed)) throw new Error('expected a media playlist');
  return parsed as MediaPlaylist;
}

describe('renderPlaylist', () => {
  // The independent parser throws on any RFC 8216 violation it knows, instead of logging it.
  beforeAll(() => HLS.setOptions({ strictMode: true }));

  it('renders the window exactly', () => {
    const state = build(10, [input(0, { duration: 1.9996 }), input(1, { duration: 2.04 })]);
    expect(renderPlaylist(state)).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000Z',
        '#EXTINF:2.000,',
        'segments/a-0.ts',
        '#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:02.000Z',
        '#EXTINF:2.040,',
        'segments/a-1.ts',
        '',
      ].join('\n'),
    );
    const parsed = parse(renderPlaylist(state));
    expect(parsed.targetDuration).toBe(2);
    expect(parsed.mediaSequenceBase).toBe(0);
    expect(parsed.endlist).toBe(false);
    expect(parsed.segments.map((s) => [s.uri, s.duration, s.programDateTime?.toISOString()])).toEqual([
      ['segments/a-0.ts', 2, '2024-05-01T10:00:00.000Z'],
      ['segments/a-1.ts', 2.04, '2024-05-01T10:00:02.000Z'],
    ]);
  });

  it('renders an empty window as a valid media playlist', () => {
    const text = renderPlaylist(createWindow({ size: 10 }));
    expect(text).toBe('#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n');
    expect(parse(text).segments).toEqual([]);
  });

  it('tags a new session with a discontinuity and keeps the discontinuity sequence right as it slides out', () => {
    let state = build(3, [input(0), input(1), input(2, { sessionId: 'b' })]);
    expect(renderPlaylist(state)).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.000Z');
    expect(renderPlaylist(state)).toContain(
      'segments/a-1.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:04.000Z\n#EXTINF:2.000,\nsegments/a-2.ts',
    );
    let parsed = parse(renderPlaylist(state));
    expect(parsed.segments.map((s) => s.discontinuitySequence)).toEqual([0, 0, 1]);

    state = [3, 4, 5].reduce((s, i) => addSegment(s, input(i, { sessionId: 'b' }), T0).state, state);
    const text = renderPlaylist(state);
    expect(text).not.toContain('#EXT-X-DISCONTINUITY\n');
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n');
    parsed = parse(text);
    expect(parsed.mediaSequenceBase).toBe(3);
    expect(parsed.discontinuitySequenceBase).toBe(1);
    // Each segment keeps the discontinuity sequence number it had before the slide.
    expect(parsed.segments.map((s) => [s.mediaSequenceNumber, s.discontinuitySequence])).toEqual([
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
  });

  it('ends with EXT-X-ENDLIST after end, and drops it when a new stream starts', () => {
    const ended = endStream(build(3, [input(0)]));
    expect(renderPlaylist(ended).endsWith('segments/a-0.ts\n#EXT-X-ENDLIST\n')).toBe(true);
    expect(parse(renderPlaylist(ended)).endlist).toBe(true);
    const reopened = addSegment(ended, input(1, { sessionId: 'b' }), T0).state;
    const parsed = parse(renderPlaylist(reopened));
    expect(parsed.endlist).toBe(false);
    expect(parsed.segments.map((s) => s.discontinuity ?? false)).toEqual([false, true]);
  });

  it('keeps every rounded EXTINF within the target duration, per the independent parser', () => {
    const durations = [1.5, 2.4, 2.49, 0.1, 2.0004, 1.999];
    const state = build(
      10,
      durations.map((duration, i) => input(i, { duration })),
    );
    const parsed = parse(renderPlaylist(state));
    expect(parsed.targetDuration).toBe(2);
    for (const s of parsed.segments) expect(Math.round(s.duration)).toBeLessThanOrEqual(parsed.targetDuration);
  });

  it('shows a fixed target duration and writes PDT with milliseconds', () => {
    const state = build(3, [input(0, { programDateTime: T0 + 123, declaredTarget: undefined, duration: 0.5 })]);
    expect(renderPlaylist(state)).toContain('#EXT-X-TARGETDURATION:1\n');
    expect(renderPlaylist(state)).toContain('#EXT-X-PROGRAM-DATE-TIME:2024-05-01T10:00:00.123Z\n#EXTINF:0.500,\n');
    const fixed = addSegment(createWindow({ size: 3, targetDuration: 6 }), input(0), T0).state;
    expect(parse(renderPlaylist(fixed)).targetDuration).toBe(6);
  });
});
