import { describe, expect, it } from 'vitest';
import { answerOutcome, errorBody, isProtocolError, PUBLISH_ERROR_CODES, PUBLISH_ERRORS, ProtocolError, readErrorBody } from '../src/errors.js';

describe('publish error answers', () => {
  it('lists every code once, each with a 4xx or 5xx status', () => {
    expect(new Set(PUBLISH_ERROR_CODES).size).toBe(PUBLISH_ERROR_CODES.length);
    for (const code of PUBLISH_ERROR_CODES) expect(PUBLISH_ERRORS[code].status).toBeGreaterThanOrEqual(400);
  });

  // The table says which refusals are worth retrying; the publisher acts on the status it gets.
  it.each(PUBLISH_ERROR_CODES)('the publisher reacts to %s as the table says', (code) => {
    const { status, retry } = PUBLISH_ERRORS[code];
    const expected = code === 'UNAUTHORIZED' ? 'fatal' : retry ? 'retry' : 'rejected';
    expect(answerOutcome(status)).toBe(expected);
  });

  it.each([
    [200, 'sent'],
    [201, 'sent'],
    [408, 'retry'],
    [429, 'retry'],
    [404, 'rejected'],
    [502, 'retry'],
    [302, 'rejected'],
  ] as const)('status %i is %s', (status, outcome) => {
    expect(answerOutcome(status)).toBe(outcome);
  });

  it('reads error bodies, and not what is not one', () => {
    expect(readErrorBody(JSON.stringify(errorBody('SEGMENT_EXISTS', 'taken')))).toEqual({ code: 'SEGMENT_EXISTS', message: 'taken' });
    expect(readErrorBody('{"error":{"code":"X"}}')).toEqual({ code: 'X', message: '' });
    for (const body of ['', '<html>502 Bad Gateway</html>', 'null', '{"error":"x"}', '{"error":{"code":5}}']) expect(readErrorBody(body)).toBeUndefined();
  });

  it('ProtocolError carries code, message and details', () => {
    const error = new ProtocolError('INVALID_HEADER', 'bad', { header: 'X-Part-Index' });
    expect(isProtocolError(error)).toBe(true);
    expect(isProtocolError(new Error('bad'))).toBe(false);
    expect(error).toMatchObject({ name: 'ProtocolError', code: 'INVALID_HEADER', message: 'bad', details: { header: 'X-Part-Index' } });
  });
});
