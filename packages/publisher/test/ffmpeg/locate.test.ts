import { describe, expect, it } from 'vitest';
import { FfmpegNotFoundError } from '../../src/errors.js';
import { locateFfmpeg, pathCandidates } from '../../src/ffmpeg/locate.js';

describe('locateFfmpeg', () => {
  it('prefers FFMPEG_PATH', async () => {
    await expect(locateFfmpeg({ env: { FFMPEG_PATH: '/usr/bin/ffprobe', PATH: '/usr/bin' } })).resolves.toBe('/usr/bin/ffprobe');
  });

  it('refuses an FFMPEG_PATH that is not executable', async () => {
    await expect(locateFfmpeg({ env: { FFMPEG_PATH: '/nope/ffmpeg' } })).rejects.toMatchObject({
      code: 'FFMPEG_NOT_FOUND',
      message: expect.stringContaining('/nope/ffmpeg'),
    });
  });

  it('finds ffmpeg on PATH', async () => {
    await expect(locateFfmpeg({ env: { PATH: '/nonexistent:/usr/bin' } })).resolves.toBe('/usr/bin/ffmpeg');
  });

  it('falls back to the bundled binary, then fails with a hint', async () => {
    await expect(locateFfmpeg({ env: { PATH: '/nonexistent' }, bundled: () => '/usr/bin/ffmpeg' })).resolves.toBe('/usr/bin/ffmpeg');
    const error = await locateFfmpeg({ env: { PATH: '/nonexistent' }, bundled: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegNotFoundError);
  });

  it('finds the @ffmpeg-installer binary when nothing else is there', async () => {
    await expect(locateFfmpeg({ env: { PATH: '/nonexistent' } })).resolves.toMatch(/@ffmpeg-installer.*ffmpeg$/);
  });

  it('builds Windows candidates with PATHEXT', () => {
    expect(pathCandidates('ffmpeg', { Path: 'C:\\bin;D:\\tools', PATHEXT: '.EXE;.CMD' }, 'win32').length).toBe(4);
  });
});
