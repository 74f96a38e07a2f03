import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STREAM,
  encodeCaptureMessage,
  isStreamName,
  parseCaptureMessage,
  parsePreviewUpgrade,
  parseStreamHeader,
  parseStreamName,
  previewUpgradeHeaders,
  splitLivePath,
  streamHeaders,
  streamPaths,
} from '../src/streams.js';
import { parseDemandMessage } from '../src/preview.js';

describe('stream names', () => {
  it.each(['a', '0', 'door', 'cam-1', 'cam_2', 'a'.repeat(64), `9${'-'.repeat(63)}`])('accepts %s', (name) => {
    expect(isStreamName(name)).toBe(true);
    expect(parseStreamName(name)).toBe(name);
  });

  it.each(['', 'Door', '-door', '_door', 'a.b', 'a/b', 'a b', 'é', 'a'.repeat(65), 'door\n', '..'])('refuses %j with INVALID_STREAM_NAME', (name) => {
    expect(isStreamName(name)).toBe(false);
    expect(() => parseStreamName(name)).toThrow(expect.objectContaining({ code: 'INVALID_STREAM_NAME' }));
  });
});

describe('X-Stream', () => {
  it('names the stream of a publish; none is `default`', () => {
    expect(parseStreamHeader({})).toBe(DEFAULT_STREAM);
    expect(parseStreamHeader({ 'x-stream': 'yard' })).toBe('yard');
    expect(() => parseStreamHeader({ 'x-stream': 'Yard' })).toThrow(expect.objectContaining({ code: 'INVALID_STREAM_NAME' }));
  });

  it('round-trips, and sends nothing for `default` so its requests stay as they were', () => {
    expect(streamHeaders(undefined)).toEqual({});
    expect(streamHeaders('default')).toEqual({});
    expect(parseStreamHeader(streamHeaders('door'))).toBe('door');
  });
});

describe('paths', () => {
  it("builds a stream's viewer paths under /live/<name>/", () => {
    expect(streamPaths('door')).toEqual({
      base: '/live/door/',
      playlist: '/live/door/stream.m3u8',
      mjpeg: '/live/door/mjpeg',
      snapshot: '/live/door/snapshot.jpg',
      whep: '/live/door/whep',
    });
    expect(() => streamPaths('../x')).toThrow(expect.objectContaining({ code: 'INVALID_STREAM_NAME' }));
  });

  it('splits a request path under /live/', () => {
    expect(splitLivePath('/live/door/segments/a.ts')).toEqual({ stream: 'door', rest: '/segments/a.ts' });
    expect(splitLivePath('/live/door')).toEqual({ stream: 'door', rest: '' });
    expect(splitLivePath('/stream.m3u8')).toBeUndefined();
  });
});

describe('preview upgrade and capture on demand', () => {
  it('round-trips the upgrade headers', () => {
    expect(parsePreviewUpgrade(previewUpgradeHeaders({ stream: 'door', onDemand: true, targetDuration: 2 }), '/publish/mjpeg')).toEqual({
      stream: 'door',
      onDemand: true,
      targetDuration: 2,
    });
    expect(previewUpgradeHeaders({})).toEqual({});
    expect(parsePreviewUpgrade({}, '/publish/mjpeg')).toEqual({ stream: 'default', onDemand: false, targetDuration: undefined });
    expect(parsePreviewUpgrade({}, '/publish/mjpeg?stream=yard').stream).toBe('yard');
  });

  it.each([
    [{ 'x-on-demand': 'yes' }, '/publish/mjpeg', 'INVALID_HEADER'],
    [{ 'x-target-duration': '0' }, '/publish/mjpeg', 'INVALID_HEADER'],
    [{ 'x-target-duration': '31' }, '/publish/mjpeg', 'INVALID_HEADER'],
    [{ 'x-stream': 'No' }, '/publish/mjpeg', 'INVALID_STREAM_NAME'],
    [{}, '/publish/mjpeg?stream=No', 'INVALID_STREAM_NAME'],
  ])('refuses %j %s', (headers, url, code) => {
    expect(() => parsePreviewUpgrade(headers, url)).toThrow(expect.objectContaining({ code }));
  });

  it('encodes capture messages that a preview-only reader does not take for demand', () => {
    expect(parseCaptureMessage(encodeCaptureMessage(true))).toBe(true);
    expect(parseCaptureMessage(encodeCaptureMessage(false))).toBe(false);
    expect(parseCaptureMessage('{"demand":true}')).toBeUndefined();
    expect(parseCaptureMessage('nope')).toBeUndefined();
    expect(parseDemandMessage(encodeCaptureMessage(true))).toBeUndefined();
  });
});
