import { describe, expect, it } from 'vitest';
import { captureArgs, directArgs, encoderArgs, inputArgs, isImageFile, listDevicesArgs } from '../../src/ffmpeg/args.js';

const format = { width: 640, height: 480, fps: 30 };

describe('inputArgs', () => {
  it.each([
    ['darwin', '0', ['-f', 'avfoundation', '-framerate', '30', '-video_size', '640x480', '-i', '0:none']],
    ['darwin', 'FaceTime HD Camera', ['-f', 'avfoundation', '-framerate', '30', '-video_size', '640x480', '-i', 'FaceTime HD Camera:none']],
    ['linux', '0', ['-f', 'v4l2', '-framerate', '30', '-video_size', '640x480', '-i', '/dev/video0']],
    ['linux', '/dev/v4l/by-id/usb-cam', ['-f', 'v4l2', '-framerate', '30', '-video_size', '640x480', '-i', '/dev/v4l/by-id/usb-cam']],
    ['win32', 'Integrated Camera', ['-f', 'dshow', '-framerate', '30', '-video_size', '640x480', '-i', 'video=Integrated Camera']],
  ] as const)('%s camera %s', (platform, device, expected) => {
    expect(inputArgs({ kind: 'device', device }, platform, format)).toEqual(expected);
  });

  it('plays the test pattern in real time', () => {
    expect(inputArgs({ kind: 'test' }, 'linux', { width: 320, height: 240, fps: 25 })).toEqual(['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25']);
  });

  it('loops a video file at real time and a still image at the frame rate', () => {
    expect(inputArgs({ kind: 'file', path: 'clip.mp4' }, 'linux', format)).toEqual(['-stream_loop', '-1', '-re', '-i', 'clip.mp4']);
    expect(inputArgs({ kind: 'file', path: '/x/Face.JPG' }, 'darwin', format)).toEqual(['-re', '-loop', '1', '-framerate', '30', '-i', '/x/Face.JPG']);
    // A FIFO (resolveSource marks it live) is read as it comes, each frame dated on arrival.
    expect(inputArgs({ kind: 'file', path: '/tmp/cam.y4m', live: true }, 'linux', format)).toEqual(['-use_wallclock_as_timestamps', '1', '-i', '/tmp/cam.y4m']);
  });

  it('reads RTSP over TCP with a socket timeout', () => {
    expect(inputArgs({ kind: 'rtsp', url: 'rtsp://cam/1' }, 'win32', format)).toEqual(['-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', 'rtsp://cam/1']);
  });

  it('knows image extensions', () => {
    expect(['a.png', 'b.jpeg', 'c.webp', 'd.mp4', 'e.gif', 'noext'].map(isImageFile)).toEqual([true, true, true, false, false, false]);
  });
});

describe('captureArgs', () => {
  it('outputs raw yuv420p frames of exactly the asked size and rate on stdout', () => {
    expect(captureArgs({ kind: 'device', device: '2' }, 'linux', format)).toEqual([
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      '-f',
      'v4l2',
      '-framerate',
      '30',
      '-video_size',
      '640x480',
      '-i',
      '/dev/video2',
      '-an',
      '-vf',
      'scale=640:480,fps=30',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      'pipe:1',
    ]);
  });
});

describe('encoderArgs', () => {
  it('encodes H.264 main with a keyframe at every segment start and lists segments as csv on stdout', () => {
    expect(encoderArgs({ width: 320, height: 240, fps: 25, bitrate: 800_000, segmentSeconds: 2, segmentPattern: '/tmp/p/s1-%05d.ts' })).toEqual([
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
      '320x240',
      '-r',
      '25',
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-b:v',
      '800000',
      '-maxrate',
      '800000',
      '-bufsize',
      '1600000',
      '-force_key_frames',
      'expr:gte(t,n_forced*2)',
      '-g',
      '50',
      '-sc_threshold',
      '0',
      '-f',
      'segment',
      '-segment_time',
      '2',
      '-segment_format',
      'mpegts',
      '-segment_list',
      'pipe:1',
      '-segment_list_type',
      'csv',
      '/tmp/p/s1-%05d.ts',
    ]);
  });

  it('handles fractional segment lengths', () => {
    const args = encoderArgs({ width: 320, height: 240, fps: 30, bitrate: 800_000, segmentSeconds: 1.5, segmentPattern: 'x-%05d.ts' });
    expect(args[args.indexOf('-g') + 1]).toBe('45');
    expect(args[args.indexOf('-force_key_frames') + 1]).toBe('expr:gte(t,n_forced*1.5)');
  });
});

describe('listDevicesArgs', () => {
  it('asks avfoundation and dshow, and lists v4l2 from /dev instead', () => {
    expect(listDevicesArgs('darwin')).toEqual(['-hide_banner', '-f', 'avfoundation', '-list_devices', 'true', '-i', '']);
    expect(listDevicesArgs('win32')).toEqual(['-hide_banner', '-f', 'dshow', '-list_devices', 'true', '-i', 'dummy']);
    expect(listDevicesArgs('linux')).toBeUndefined();
  });
});

describe('encoderArgs with Low-Latency HLS parts', () => {
  it('cuts parts between keyframes and keeps keyframes at segment starts only', () => {
    const args = encoderArgs({ width: 320, height: 240, fps: 30, bitrate: 800_000, segmentSeconds: 2, partSeconds: 0.2, segmentPattern: 'x-%06d.ts' });
    expect(args.slice(args.indexOf('-force_key_frames'))).toEqual([
      '-force_key_frames',
      'expr:gte(t,n_forced*2)',
      '-g',
      '60',
      '-sc_threshold',
      '0',
      '-f',
      'segment',
      '-segment_time',
      '0.2',
      '-break_non_keyframes',
      '1',
      '-individual_header_trailer',
      '0',
      '-segment_format_options',
      'mpegts_flags=+resend_headers:flush_packets=1',
      '-segment_format',
      'mpegts',
      '-segment_list',
      'pipe:1',
      '-segment_list_type',
      'csv',
      'x-%06d.ts',
    ]);
  });

  it('writes a third of a second in microseconds', () => {
    const args = encoderArgs({ width: 320, height: 240, fps: 30, bitrate: 800_000, segmentSeconds: 2, partSeconds: 1 / 3, segmentPattern: 'x-%06d.ts' });
    expect(args[args.indexOf('-segment_time') + 1]).toBe('0.333333');
  });
});

describe('directArgs', () => {
  it('captures, encodes and segments in one ffmpeg: the capture input and filter, then the encoder settings', () => {
    const format = { width: 320, height: 240, fps: 25, bitrate: 800_000, segmentSeconds: 2, segmentPattern: '/tmp/p/s1-%05d.ts' };
    expect(directArgs({ kind: 'test' }, 'linux', format)).toEqual([
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      '-progress',
      'pipe:2',
      '-re',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=25',
      '-an',
      '-vf',
      'scale=320:240,fps=25',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-tune',
      'zerolatency',
      '-profile:v',
      'main',
      '-pix_fmt',
      'yuv420p',
      '-b:v',
      '800000',
      '-maxrate',
      '800000',
      '-bufsize',
      '1600000',
      '-force_key_frames',
      'expr:gte(t,n_forced*2)',
      '-g',
      '50',
      '-sc_threshold',
      '0',
      '-f',
      'segment',
      '-segment_time',
      '2',
      '-segment_format',
      'mpegts',
      '-segment_list',
      'pipe:1',
      '-segment_list_type',
      'csv',
      '/tmp/p/s1-%05d.ts',
    ]);
  });

  it('takes the same output arguments as the piped encoder, parts included', () => {
    const format = { width: 320, height: 240, fps: 30, bitrate: 800_000, segmentSeconds: 2, partSeconds: 0.2, segmentPattern: 'x-%06d.ts' };
    const direct = directArgs({ kind: 'device', device: '0' }, 'linux', format);
    const encoder = encoderArgs(format);
    expect(direct.slice(direct.indexOf('-c:v'))).toEqual(encoder.slice(encoder.indexOf('-c:v')));
    expect(direct.slice(direct.indexOf('-f'), direct.indexOf('-an'))).toEqual([
      '-f',
      'v4l2',
      '-framerate',
      '30',
      '-video_size',
      '320x240',
      '-i',
      '/dev/video0',
    ]);
  });
});

describe('captureArgs for a WHIP session', () => {
  const whip = { kind: 'whip', ingest: { serve: () => ({ stop: async () => {} }) } } as const;

  it('reads IVF from stdin without waiting to probe, and fits any size into the frame without stretching', () => {
    expect(captureArgs(whip, 'linux', { width: 640, height: 480, fps: 25 })).toEqual([
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'error',
      '-probesize',
      '32',
      '-analyzeduration',
      '0',
      '-fpsprobesize',
      '0',
      '-flags',
      'low_delay',
      '-f',
      'ivf',
      '-i',
      'pipe:0',
      '-an',
      '-vf',
      'scale=640:480:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=640:480:(ow-iw)/2:(oh-ih)/2,fps=25',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      'pipe:1',
    ]);
  });
});
