import { describe, expect, it } from 'vitest';
import { authHeaders, parseBearer } from '../src/auth.js';

describe('bearer token', () => {
  it('is sent only when there is one', () => {
    expect(authHeaders(undefined)).toEqual({});
    expect(authHeaders('')).toEqual({});
    expect(authHeaders('s3cret')).toEqual({ authorization: 'Bearer s3cret' });
  });

  it.each([
    ['Bearer s3cret', 's3cret'],
    ['bearer s3cret', 's3cret'],
    ['Bearer   s3cret  ', 's3cret'],
    ['Bearer ', undefined],
    ['Basic czNjcmV0', undefined],
    ['s3cret', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (header, token) => {
    expect(parseBearer(header)).toBe(token);
  });

  it('round-trips what the publisher sends', () => {
    expect(parseBearer(authHeaders('a!b~c').authorization)).toBe('a!b~c');
  });
});
