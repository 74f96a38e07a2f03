import { describe, expect, it } from 'vitest';
import {
  ANONYMOUS_SESSION,
  endHeaders,
  formatSeconds,
  isSessionId,
  parseDuration,
  parsePublishHeaders,
  parsePublishPath,
  publishPath,
  segmentHeaders,
} from '../src/publish.js';

const NOW = Date.parse('2024-05-01T10:00:00.000Z');

describe('parsePublishPath', () => {
  it.each([
    ['cam-00001.ts/2.002', 'cam-00001.ts', 2.002],
    ['a.b_c-D9.ts/30', 'a.b_c-D9.ts', 30],
    ['x.ts/0.1', 'x.ts', 0.1],
    ['x%2Ets/1', 'x.ts', 1],
  ])('accepts %s', (rest, name, duration) => {
    expect(parsePublishPath(rest)).toEqual({ name, duration });
  });

  it.each([
    ['../x.ts/1'],
    ['%2e%2e%2fx.ts/1'],
    ['a/b.ts/1'],
    ['x.mp4/1'],
    ['.ts/1'],
    ['.hidden.ts/1'],
    ['x..ts/1'],
    [`${'a'.repeat(126)}.ts/1`],
    ['x%00.ts/1'],
    ['%zz.ts/1'],
    ['x y.ts/1'],
    ['/1'],
  ])('refuses the name in %s', (rest) => {
    expect(() => parsePublishPath(rest)).toThrow(expect.objectContaining({ code: 'INVALID_SEGMENT_NAME' }));
  });

  it('accepts a name of exactly 128 characters', () => {
    const name = `${'a'.repeat(125)}.ts`;
    expect(parsePublishPath(`${name}/1`).name).toBe(name);
  });

  it('refuses a missing duration', () => {
    expect(() => parsePublishPath('x.ts')).toThrow(expect.objectContaining({ code: 'INVALID_DURATION' }));
  });
});

describe('parseDuration', () => {
  it.each(['NaN', 'Infinity', '1e309', '-0', '0', '0.0', '0x10', '31', '30.001', 'abc', '', ' 1', '1e1', '-1', '+1', '.5', '1.'])('refuses `%s`', (raw) => {
    expect(() => parseDuration(raw)).toThrow(expect.objectContaining({ code: 'INVALID_DURATION' }));
  });

  it.each([
    ['30', 30],
    ['0.001', 0.001],
    ['2.002', 2.002],
    ['05', 5],
  ])('accepts `%s`', (raw, value) => {
    expect(parseDuration(raw)).toBe(value);
  });
});

describe('parsePublishHeaders', () => {
  it('reads all three headers', () => {
    expect(
      parsePublishHeaders({ 'x-publisher-session': 'cam_1-x', 'x-program-date-time': '2024-05-01T09:59:58.500Z', 'x-target-duration': '2' }, 2, NOW),
    ).toEqual({ sessionId: 'cam_1-x', programDateTime: NOW - 1500, declaredTarget: 2 });
  });

  it('falls back when headers are absent', () => {
    expect(parsePublishHeaders({}, 2, NOW)).toEqual({ sessionId: ANONYMOUS_SESSION, programDateTime: NOW - 2000, declaredTarget: undefined });
  });

  it('accepts a zone offset', () => {
    expect(parsePublishHeaders({ 'x-program-date-time': '2024-05-01T12:00:00.000+02:00' }, 1, NOW).programDateTime).toBe(NOW);
  });

  it.each([
    ['x-publisher-session', ''],
    ['x-publisher-session', 'a b'],
    ['x-publisher-session', 'a'.repeat(65)],
    ['x-program-date-time', 'yesterday'],
    ['x-program-date-time', '2024-05-01 10:00:00'],
    ['x-program-date-time', '2024-13-45T10:00:00.000Z'],
    ['x-target-duration', '0'],
    ['x-target-duration', '31'],
    ['x-target-duration', '2.5'],
    ['x-target-duration', 'two'],
  ])('refuses %s: `%s`', (header, value) => {
    expect(() => parsePublishHeaders({ [header]: value }, 1, NOW)).toThrow(expect.objectContaining({ code: 'INVALID_HEADER' }));
  });
});

describe('building requests', () => {
  it('writes the path with the name percent-encoded and the duration in plain digits', () => {
    expect(publishPath('cam-00001.ts', 2.002)).toBe('/publish/cam-00001.ts/2.002');
    expect(publishPath('a b.ts', 2)).toBe('/publish/a%20b.ts/2');
  });

  it.each([
    [2, '2'],
    [2.002, '2.002'],
    [0.333333, '0.333333'],
    [1e-7, '0.0000001'],
    [2.5e-8, '0.000000025'],
  ])('formats %d seconds as `%s`', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('writes the segment headers, lower-case, the token only when there is one', () => {
    const programDateTime = new Date('2024-05-01T09:59:58.500Z');
    expect(segmentHeaders({ session: 's1', programDateTime, targetDuration: 2, token: undefined })).toEqual({
      'x-publisher-session': 's1',
      'content-type': 'video/mp2t',
      'x-program-date-time': '2024-05-01T09:59:58.500Z',
      'x-target-duration': '2',
    });
    expect(endHeaders('s1', 'tok')).toEqual({ 'x-publisher-session': 's1', authorization: 'Bearer tok' });
  });

  it.each([
    ['p1', true],
    ['pm3k2x1a2b3cr12', true],
    ['a'.repeat(64), true],
    ['', false],
    ['a.b', false],
    ['a'.repeat(65), false],
  ])('session `%s` valid: %s', (id, valid) => {
    expect(isSessionId(id)).toBe(valid);
  });
});
