import { describe, expect, it } from 'vitest';
import { createTsCheck } from '../../src/storage/ts-check.js';

function packets(count: number): Buffer {
  const buffer = Buffer.alloc(188 * count, 0xff);
  for (let i = 0; i < count; i++) buffer[i * 188] = 0x47;
  return buffer;
}

function feed(buffer: Buffer, chunkSize: number): string | undefined {
  const check = createTsCheck();
  for (let i = 0; i < buffer.length; i += chunkSize) {
    const reason = check.push(buffer.subarray(i, i + chunkSize));
    if (reason !== undefined) return reason;
  }
  return check.end();
}

describe('createTsCheck', () => {
  it.each([1, 7, 187, 188, 189, 1000, 4096])('accepts whole packets fed in chunks of %i bytes', (size) => {
    expect(feed(packets(30), size)).toBeUndefined();
  });

  it.each([1, 7, 188, 1000])('finds a bad sync byte across chunks of %i bytes', (size) => {
    const body = packets(30);
    body[188 * 17] = 0x46;
    expect(feed(body, size)).toMatch(/byte 3196 .* 0x46/);
  });

  it('refuses a truncated packet and an empty body', () => {
    expect(feed(packets(3).subarray(0, 500), 100)).toMatch(/500 bytes is not a whole number/);
    expect(createTsCheck().end()).toMatch(/empty/);
  });
});
