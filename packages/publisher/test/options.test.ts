import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors.js';
import {
  DEFAULTS,
  checkPartSeconds,
  parseBitrate,
  parsePartSeconds,
  parseFps,
  parseLogLevel,
  parseQueue,
  parseSegmentSeconds,
  parseSize,
  parseSource,
  parseStreamerUrl,
  parseToken,
  resolveOptions,
  parseStream,
  parseIdleSeconds,
} from '../src/options.js';

describe('CLI value parsers', () => {
  it.each([
    [parseFps, 'abc', 'Expected `--fps` to be an integer from 1 to 120, got `abc`'],
    [parseFps, '0', 'Expected `--fps` to be an integer from 1 to 120, got `0`'],
    [parseFps, '12.5', 'Expected `--fps` to be an integer from 1 to 120, got `12.5`'],
    [parseFps, '121', 'Expected `--fps` to be an integer from 1 to 120, got `121`'],
    [parseFps, '-3', 'Expected `--fps` to be an integer from 1 to 120, got `-3`'],
    [parseQueue, '0', 'Expected `--queue` to be an integer from 1 to 10000, got `0`'],
    [parseSize, '640', 'Expected `--size` to be WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`), got `640`'],
    [parseSize, '641x480', 'Expected `--size` to be WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`), got `641x480`'],
    [parseSize, '8x8', 'Expected `--size` to be WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`), got `8x8`'],
    [parseSize, '99999x480', 'Expected `--size` to be WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`), got `99999x480`'],
    [parseSegmentSeconds, '0', 'Expected `--segment-seconds` to be a number of seconds from 0.5 to 30, got `0`'],
    [parseSegmentSeconds, '31', 'Expected `--segment-seconds` to be a number of seconds from 0.5 to 30, got `31`'],
    [parseSegmentSeconds, '2s', 'Expected `--segment-seconds` to be a number of seconds from 0.5 to 30, got `2s`'],
    [parseBitrate, 'fast', 'Expected `--bitrate` to be a bitrate from 10k to 100M (e.g. `1500k`, `2M`), got `fast`'],
    [parseBitrate, '5k', 'Expected `--bitrate` to be a bitrate from 10k to 100M (e.g. `1500k`, `2M`), got `5k`'],
    [parseBitrate, '1G', 'Expected `--bitrate` to be a bitrate from 10k to 100M (e.g. `1500k`, `2M`), got `1G`'],
    [parseStreamerUrl, 'localhost:8080', 'Expected `--streamer` to be an http:// or https:// URL (e.g. `http://127.0.0.1:8080`), got `localhost:8080`'],
    [parseStreamerUrl, 'ftp://x', 'Expected `--streamer` to be an http:// or https:// URL (e.g. `http://127.0.0.1:8080`), got `ftp://x`'],
    [parseStreamerUrl, 'http://x/?a=1', 'Expected `--streamer` to be an http:// or https:// URL (e.g. `http://127.0.0.1:8080`), got `http://x/?a=1`'],
    [parseToken, 'has space', 'Expected `--token` to be printable characters without spaces, got `has space`'],
    [parseLogLevel, 'loud', 'Expected `--log-level` to be one of fatal, error, warn, info, debug, trace, silent, got `loud`'],
    [parseStream, 'Door', 'Expected `--stream` to be 1-64 characters of [a-z0-9_-] starting with a letter or digit (e.g. `door`), got `Door`'],
    [parseStream, '-door', 'Expected `--stream` to be 1-64 characters of [a-z0-9_-] starting with a letter or digit (e.g. `door`), got `-door`'],
    [
      parseStream,
      'a'.repeat(65),
      `Expected \`--stream\` to be 1-64 characters of [a-z0-9_-] starting with a letter or digit (e.g. \`door\`), got \`${'a'.repeat(65)}\``,
    ],
    [parseIdleSeconds, '0', 'Expected `--idle-seconds` to be a number of seconds from 1 to 86400, got `0`'],
    [parseIdleSeconds, 'soon', 'Expected `--idle-seconds` to be a number of seconds from 1 to 86400, got `soon`'],
  ] as [(v: string) => unknown, string, string][])('%o refuses %j', (parse, value, message) => {
    const error = (() => {
      try {
        parse(value);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ code: 'INVALID_OPTION', value, message });
  });

  it('parses good values', () => {
    expect(parseFps('25')).toBe(25);
    expect(parseSize('1280X720')).toEqual({ width: 1280, height: 720 });
    expect(parseSegmentSeconds('1.5')).toBe(1.5);
    expect(parseBitrate('1500k')).toBe(1_500_000);
    expect(parseBitrate('2M')).toBe(2_000_000);
    expect(parseBitrate('800000')).toBe(800_000);
    expect(parseStreamerUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(parseStreamerUrl('https://live.example/hls')).toBe('https://live.example/hls');
  });

  it.each([
    [undefined, undefined, { kind: 'device', device: '0' }],
    ['2', undefined, { kind: 'device', device: '2' }],
    [undefined, 'test', { kind: 'test' }],
    [undefined, 'rtsp://cam:554/s', { kind: 'rtsp', url: 'rtsp://cam:554/s' }],
    [undefined, 'clip.mp4', { kind: 'file', path: 'clip.mp4' }],
  ])('source for --device %j --input %j', (device, input, expected) => {
    expect(parseSource(device, input)).toEqual(expected);
  });

  it('refuses both a device and an input', () => {
    expect(() => parseSource('0', 'test')).toThrow(OptionError);
  });
});

describe('resolveOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveOptions({ platform: 'linux' })).toEqual({
      source: { kind: 'device', device: '0' },
      streamer: DEFAULTS.streamer,
      stream: 'default',
      width: 640,
      height: 480,
      fps: 30,
      segmentSeconds: 2,
      bitrate: 1_500_000,
      token: undefined,
      queue: 10,
      platform: 'linux',
      ffmpegPath: undefined,
      tempDir: undefined,
      retryMinMs: 250,
      retryMaxMs: 4000,
      uploadTimeoutMs: 15_000,
      encoderFailures: 5,
      encoderFailureWindowMs: 60_000,
    });
  });

  it.each([
    [{ fps: 0 }, '--fps'],
    [{ fps: 2.5 }, '--fps'],
    [{ width: 641 }, '--size'],
    [{ height: 0 }, '--size'],
    [{ segmentSeconds: 40 }, '--segment-seconds'],
    [{ bitrate: -1 }, '--bitrate'],
    [{ uploadTimeoutMs: 0 }, 'uploadTimeoutMs'],
    [{ encoderFailures: 0 }, 'encoderFailures'],
    [{ queue: 0 }, '--queue'],
    [{ streamer: 'nope' }, '--streamer'],
    [{ device: '0', input: 'test' }, '--input'],
    [{ token: '' }, '--token'],
    [{ stream: 'Front Door' }, '--stream'],
    [{ stream: '' }, '--stream'],
  ])('refuses %j naming %s', (options, option) => {
    expect(() => resolveOptions(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option }));
  });
});

describe('--part-seconds', () => {
  it.each([
    [0.2, 2, 30, 0.2],
    [0.33, 2, 30, 1 / 3],
    [0.5, 2, 30, 0.5],
    [0.4, 2, 25, 0.4],
  ])('takes %s s parts of %s s segments at %s fps as %s s', (part, segment, fps, exact) => {
    expect(checkPartSeconds(part, segment, fps)).toBeCloseTo(exact, 9);
    expect(resolveOptions({ input: 'test', partSeconds: part, segmentSeconds: segment, fps }).partSeconds).toBeCloseTo(exact, 9);
  });

  it.each([
    ['0.05', /--part-seconds.*0\.1 to 1/],
    ['2', /--part-seconds.*0\.1 to 1/],
    ['abc', /--part-seconds.*got `abc`/],
  ])('refuses %s on the command line', (value, message) => {
    expect(() => parsePartSeconds(value)).toThrow(message);
  });

  it.each([
    [0.3, 2, 30, /`--part-seconds`.*divides the 2 s segment \(one of 0\.1, 0\.133333, 0\.166667, 0\.2, 0\.333333, 0\.4, 0\.5, 0\.666667, 1\).*got `0\.3`/],
    [0.25, 2, 30, /`--part-seconds`.*whole number of frames at 30 fps/],
    [0.5, 2, 25, /`--part-seconds`.*at 25 fps.*one of 0\.2, 0\.4, 1\)/],
  ])('refuses %s s parts of %s s segments at %s fps, naming what fits', (part, segment, fps, message) => {
    expect(() => resolveOptions({ input: 'test', partSeconds: part, segmentSeconds: segment, fps })).toThrow(message);
  });
});
