import { describe, expect, it } from 'vitest';
import { parseBlockingQuery } from '../../src/hls/blocking-query.js';

describe('parseBlockingQuery (RFC 8216bis 6.2.5.2)', () => {
  it.each([
    [{}, undefined],
    [{ _HLS_msn: '12' }, { msn: 12, part: undefined }],
    [
      { _HLS_msn: '12', _HLS_part: '0' },
      { msn: 12, part: 0 },
    ],
  ])('reads %j', (query, expected) => {
    expect(parseBlockingQuery(query)).toEqual(expected);
  });

  it.each([[{ _HLS_part: '1' }], [{ _HLS_msn: 'x' }], [{ _HLS_msn: '-1' }], [{ _HLS_msn: '1', _HLS_part: '1.5' }]])('refuses %j', (query) => {
    expect(() => parseBlockingQuery(query)).toThrow(expect.objectContaining({ code: 'INVALID_BLOCKING_REQUEST' }));
  });
});
