import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveOptions, type StreamerOptions } from '../src/options.js';

describe('resolveOptions', () => {
  it('fills every default', () => {
    const options = resolveOptions();
    expect(options).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      mediaDir: resolve('media'),
      window: 10,
      publishToken: undefined,
      targetDuration: undefined,
      maxSegmentBytes: 64 * 1024 * 1024,
      mjpegIdleSeconds: 10,
      maxMjpegFrameBytes: 8 * 1024 * 1024,
      corsOrigin: '*',
      logLevel: 'info',
      requestTimeoutSeconds: 60,
      headersTimeoutSeconds: 10,
    });
  });

  it('turns `none` into no CORS origin', () => {
    expect(resolveOptions({ corsOrigin: 'none' }).corsOrigin).toBe(null);
  });

  it.each<[StreamerOptions, string]>([
    [{ window: 0 }, 'Expected `--window` to be a positive integer, got `0`'],
    [{ window: 'abc' as unknown as number }, 'Expected `--window` to be a positive integer, got `abc`'],
    [{ window: 2.5 }, 'Expected `--window` to be a positive integer, got `2.5`'],
    [{ port: 70000 }, 'Expected `--port` to be a port number from 0 to 65535, got `70000`'],
    [{ targetDuration: 31 }, 'Expected `--target-duration` to be an integer number of seconds from 1 to 30, got `31`'],
    [{ maxSegmentBytes: -1 }, 'Expected `--max-segment-bytes` to be a positive integer number of bytes, got `-1`'],
    [{ corsOrigin: 'example.com' }, 'Expected `--cors-origin` to be `*`, `none` or an origin such as `https://example.com`, got `example.com`'],
    [{ mjpegIdleSeconds: 0 }, 'Expected `--mjpeg-idle-seconds` to be a number of seconds in (0, 3600], got `0`'],
    [{ mjpegIdleSeconds: 'soon' as unknown as number }, 'Expected `--mjpeg-idle-seconds` to be a number of seconds in (0, 3600], got `soon`'],
    [{ maxMjpegFrameBytes: 10 }, 'Expected `--max-mjpeg-frame-bytes` to be an integer number of bytes from 1024 to 268435456, got `10`'],
    [{ publishToken: '' }, 'Expected `--publish-token` to be a non-empty string, got ``'],
    [{ headersTimeoutSeconds: 0 }, 'Expected `--headers-timeout` to be an integer number of seconds from 1 to 3600, got `0`'],
    [{ requestTimeoutSeconds: 1.5 }, 'Expected `--request-timeout` to be an integer number of seconds from 1 to 3600, got `1.5`'],
    [{ logLevel: 'loud' as 'info' }, 'Expected `--log-level` to be one of fatal, error, warn, info, debug, trace, silent, got `loud`'],
  ])('refuses %j', (options, message) => {
    expect(() => resolveOptions(options)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', message }));
  });
});
