import { describe, expect, it } from 'vitest';
import { DEFAULT_MJPEG_OPTIONS, parseMjpeg, parseMjpegFps, parseMjpegQuality, parseMjpegSize, resolveMjpegOptions } from '../../src/mjpeg/options.js';

describe('MJPEG options', () => {
  it('has its defaults in one place', () => {
    expect(resolveMjpegOptions()).toEqual({ enabled: true, fps: 10, size: undefined, quality: 5, idleStopMs: 30_000 });
    expect(DEFAULT_MJPEG_OPTIONS.fps).toBe(10);
  });

  it('parses good values', () => {
    expect(parseMjpeg('off')).toBe(false);
    expect(parseMjpeg(' ON ')).toBe(true);
    expect(parseMjpegFps('0.5')).toBe(0.5);
    expect(parseMjpegFps('25')).toBe(25);
    expect(parseMjpegSize('320x240')).toEqual({ width: 320, height: 240 });
    expect(parseMjpegQuality('2')).toBe(2);
    expect(resolveMjpegOptions({ size: { width: 160, height: 120 }, enabled: false }).size).toEqual({ width: 160, height: 120 });
  });

  it.each<[string, () => unknown, string]>([
    ['--mjpeg', () => parseMjpeg('maybe'), 'Expected `--mjpeg` to be `on` or `off`, got `maybe`'],
    ['--mjpeg-fps', () => parseMjpegFps('x'), 'Expected `--mjpeg-fps` to be a positive number, got `x`'],
    ['--mjpeg-fps', () => parseMjpegFps('0'), 'Expected `--mjpeg-fps` to be a positive number, got `0`'],
    ['--mjpeg-fps', () => parseMjpegFps('-3'), 'Expected `--mjpeg-fps` to be a positive number, got `-3`'],
    ['--mjpeg-fps', () => parseMjpegFps('61'), 'Expected `--mjpeg-fps` to be a positive number up to 60, got `61`'],
    [
      '--mjpeg-size',
      () => parseMjpegSize('320x241'),
      'Expected `--mjpeg-size` to be WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`), got `320x241`',
    ],
    [
      '--mjpeg-size',
      () => parseMjpegSize('big'),
      'Expected `--mjpeg-size` to be WIDTHxHEIGHT with even numbers from 16x16 to 7680x4320 (e.g. `640x480`), got `big`',
    ],
    ['--mjpeg-quality', () => parseMjpegQuality('1'), 'Expected `--mjpeg-quality` to be an integer from 2 (best) to 31, got `1`'],
    ['--mjpeg-quality', () => parseMjpegQuality('32'), 'Expected `--mjpeg-quality` to be an integer from 2 (best) to 31, got `32`'],
    ['--mjpeg-quality', () => parseMjpegQuality(4.5), 'Expected `--mjpeg-quality` to be an integer from 2 (best) to 31, got `4.5`'],
  ])('refuses a bad %s', (option, parse, message) => {
    expect(parse).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option, message }));
  });
});
