import { describe, expect, it } from 'vitest';
import { jpegEncoderArgs } from '../../src/mjpeg/args.js';

describe('jpegEncoderArgs', () => {
  it('reads raw frames of the stream size and writes one JPEG per frame, single-threaded', () => {
    expect(jpegEncoderArgs({ width: 640, height: 480, quality: 5 })).toEqual([
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      '-s',
      '640x480',
      '-i',
      'pipe:0',
      '-threads',
      '1',
      '-c:v',
      'mjpeg',
      '-q:v',
      '5',
      '-f',
      'image2pipe',
      'pipe:1',
    ]);
  });

  it('scales only when another size is asked for', () => {
    const args = jpegEncoderArgs({ width: 640, height: 480, outWidth: 320, outHeight: 240, quality: 2 });
    expect(args.slice(args.indexOf('-vf'), args.indexOf('-vf') + 2)).toEqual(['-vf', 'scale=320:240']);
    expect(jpegEncoderArgs({ width: 640, height: 480, outWidth: 640, outHeight: 480, quality: 2 })).not.toContain('-vf');
  });
});
