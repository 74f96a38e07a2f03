import { describe, expect, it } from 'vitest';
import { parsePartHeaders } from '../src/parts.js';

describe('parsePartHeaders (Low-Latency HLS)', () => {
  it('is undefined without X-Part-Index: a whole segment', () => {
    expect(parsePartHeaders({ 'x-part-target': '0.2' })).toBeUndefined();
  });

  it('reads a part', () => {
    expect(parsePartHeaders({ 'x-part-index': '0', 'x-independent': '1', 'x-part-target': '0.333333' })).toEqual({
      index: 0,
      independent: true,
      end: false,
      declaredPartTarget: 0.333333,
    });
    expect(parsePartHeaders({ 'x-part-index': '9', 'x-segment-end': '1' })).toEqual({ index: 9, independent: false, end: true, declaredPartTarget: undefined });
  });

  it.each([
    [{ 'x-part-index': '-1' }, 'X-Part-Index'],
    [{ 'x-part-index': '1.5' }, 'X-Part-Index'],
    [{ 'x-part-index': '10000' }, 'X-Part-Index'],
    [{ 'x-part-index': '0', 'x-part-target': '0' }, 'X-Part-Target'],
    [{ 'x-part-index': '0', 'x-part-target': '11' }, 'X-Part-Target'],
    [{ 'x-part-index': '0', 'x-independent': 'yes' }, 'X-Independent'],
    [{ 'x-part-index': '0', 'x-segment-end': '2' }, 'X-Segment-End'],
  ])('refuses %j naming %s', (headers, header) => {
    expect(() => parsePartHeaders(headers)).toThrow(expect.objectContaining({ code: 'INVALID_HEADER', details: { header } }));
  });
});
