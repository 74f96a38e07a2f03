import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceNotFoundError, OptionError } from '../../src/errors.js';
import { parseAvfoundationList, parseDshowList, resolveDevice, resolveSource } from '../../src/ffmpeg/devices.js';

describe('camera lists', () => {
  it('parses avfoundation output, video devices only', () => {
    const text = [
      '[AVFoundation indev @ 0x7f8] AVFoundation video devices:',
      '[AVFoundation indev @ 0x7f8] [0] FaceTime HD Camera',
      '[AVFoundation indev @ 0x7f8] [1] Capture screen 0',
      '[AVFoundation indev @ 0x7f8] AVFoundation audio devices:',
      '[AVFoundation indev @ 0x7f8] [0] MacBook Pro Microphone',
      ': Input/output error',
    ].join('\n');
    expect(parseAvfoundationList(text)).toEqual([
      { id: '0', name: 'FaceTime HD Camera' },
      { id: '1', name: 'Capture screen 0' },
    ]);
  });

  it('parses dshow output in the ffmpeg 5 layout', () => {
    const text = [
      '[dshow @ 000001] "Integrated Camera" (video)',
      '[dshow @ 000001]   Alternative name "@device_pnp_\\\\?\\usb#vid"',
      '[dshow @ 000001] "Microphone (Realtek)" (audio)',
      '[dshow @ 000001] "OBS Virtual Camera" (video)',
    ].join('\r\n');
    expect(parseDshowList(text)).toEqual([
      { id: '0', name: 'Integrated Camera' },
      { id: '1', name: 'OBS Virtual Camera' },
    ]);
  });

  it('parses dshow output in the ffmpeg 4 layout', () => {
    const text = [
      '[dshow @ 0a] DirectShow video devices (some may be both video and audio devices)',
      '[dshow @ 0a]  "USB2.0 HD UVC WebCam"',
      '[dshow @ 0a]     Alternative name "@device_pnp_x"',
      '[dshow @ 0a] DirectShow audio devices',
      '[dshow @ 0a]  "Microphone Array"',
    ].join('\n');
    expect(parseDshowList(text)).toEqual([{ id: '0', name: 'USB2.0 HD UVC WebCam' }]);
  });
});

describe('resolveDevice', () => {
  it('maps a Linux index to /dev/videoN and refuses a missing one with a hint', async () => {
    const error = await resolveDevice('77', { ffmpegPath: 'ffmpeg', platform: 'linux' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeviceNotFoundError);
    expect(error).toMatchObject({ code: 'DEVICE_NOT_FOUND', device: '/dev/video77' });
    expect((error as Error).message).toMatch(/--list-devices.*--input test/);
  });

  it('accepts an existing device path on Linux', async () => {
    await expect(resolveDevice('/dev/null', { ffmpegPath: 'ffmpeg', platform: 'linux' })).resolves.toBe('/dev/null');
  });

  it('passes macOS devices through to avfoundation', async () => {
    await expect(resolveDevice('1', { ffmpegPath: 'ffmpeg', platform: 'darwin' })).resolves.toBe('1');
  });
});

describe('resolveSource', () => {
  const env = { ffmpegPath: 'ffmpeg', platform: 'linux' as const };
  it('marks a FIFO input live, leaves a regular file as it is, and refuses a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'resolve-source-'));
    try {
      const fifo = join(dir, 'cam.y4m');
      execFileSync('mkfifo', [fifo]);
      await writeFile(join(dir, 'clip.mp4'), '');
      await expect(resolveSource({ kind: 'file', path: fifo }, env)).resolves.toEqual({ kind: 'file', path: fifo, live: true });
      await expect(resolveSource({ kind: 'file', path: join(dir, 'clip.mp4') }, env)).resolves.toEqual({ kind: 'file', path: join(dir, 'clip.mp4') });
      await expect(resolveSource({ kind: 'file', path: join(dir, 'nope.mp4') }, env)).rejects.toBeInstanceOf(OptionError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
