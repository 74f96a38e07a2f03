import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJpegSplitter } from '../../src/mjpeg/jpeg-splitter.js';

const run = promisify(execFile);
let stream: Buffer;
let jpegs: Buffer[];

// ffmpeg's own image2pipe output, the very bytes the encoder reads.
beforeAll(async () => {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10',
      '-frames:v',
      '5',
      '-c:v',
      'mjpeg',
      '-q:v',
      '3',
      '-f',
      'image2pipe',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  stream = stdout;
  jpegs = [];
  createJpegSplitter((j) => jpegs.push(j)).push(stream);
});

describe('createJpegSplitter', () => {
  it('finds each whole JPEG in ffmpeg output', () => {
    expect(jpegs).toHaveLength(5);
    expect(Buffer.concat(jpegs).equals(stream)).toBe(true);
    for (const j of jpegs) expect([j[0], j[1], j.at(-2), j.at(-1)]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
  });

  it.each([1, 7, 4096])('gives the same JPEGs when the bytes come %i at a time', (size) => {
    const found: Buffer[] = [];
    const splitter = createJpegSplitter((j) => found.push(j));
    for (let i = 0; i < stream.length; i += size) splitter.push(stream.subarray(i, i + size));
    expect(found.map((j) => j.length)).toEqual(jpegs.map((j) => j.length));
  });

  it('is not fooled by FF D9 inside a marker segment', () => {
    const first = jpegs[0]!;
    // A COM segment holding the bytes of an EOI, right after SOI.
    const comment = Buffer.from([0xff, 0xfe, 0x00, 0x06, 0xff, 0xd9, 0xff, 0xd9]);
    const tricky = Buffer.concat([first.subarray(0, 2), comment, first.subarray(2)]);
    const found: Buffer[] = [];
    createJpegSplitter((j) => found.push(j)).push(Buffer.concat([tricky, jpegs[1]!]));
    expect(found.map((j) => j.length)).toEqual([tricky.length, jpegs[1]!.length]);
  });

  it('skips garbage before a JPEG and drops a partial one on reset', () => {
    const found: Buffer[] = [];
    const splitter = createJpegSplitter((j) => found.push(j));
    splitter.push(Buffer.concat([Buffer.from('garbage\xff'), jpegs[0]!]));
    splitter.push(jpegs[1]!.subarray(0, 100));
    splitter.reset();
    splitter.push(jpegs[2]!);
    expect(found.map((j) => j.length)).toEqual([jpegs[0]!.length, jpegs[2]!.length]);
  });
});
