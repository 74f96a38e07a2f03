import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FfmpegExitError } from '../../src/errors.js';
import { ffmpegCommand, spawnFfmpeg } from '../../src/ffmpeg/process.js';

const fake = fileURLToPath(new URL('../fixtures/fake-ffmpeg.mjs', import.meta.url));
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('spawnFfmpeg', () => {
  it('reports a failed exit with its code and a bounded stderr tail', async () => {
    const proc = spawnFfmpeg({ path: fake, args: ['fail', '4'], role: 'capture', stderrLimit: 1024 });
    const info = await proc.exited;
    expect(info).toEqual({ code: 4, signal: null });
    expect(proc.stderrTail().length).toBeLessThanOrEqual(1024);
    const error = proc.exitError(info);
    expect(error).toBeInstanceOf(FfmpegExitError);
    expect(error).toMatchObject({ code: 'FFMPEG_EXIT', role: 'capture', exitCode: 4, signal: null });
    expect(error.message).toBe('ffmpeg (capture) exited with code 4: Cannot open video device /dev/video7: No such file or directory');
  });

  it('escalates to SIGKILL when ffmpeg ignores SIGTERM', async () => {
    const proc = spawnFfmpeg({ path: fake, args: ['hang'], role: 'capture' });
    await once(proc.stdout, 'data');
    const started = Date.now();
    const info = await proc.stop('signal', 300);
    expect(info.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(isAlive(proc.pid!)).toBe(false);
    expect(proc.stderrTail()).toContain('ignoring SIGTERM');
  });

  it('stops by closing stdin when asked to, so ffmpeg can flush', async () => {
    const proc = spawnFfmpeg({ path: fake, args: ['stdin'], role: 'encoder', stdin: true });
    await once(proc.stdout, 'data');
    expect(await proc.stop('stdin', 5000)).toEqual({ code: 0, signal: null });
    expect(proc.stopping).toBe(true);
    expect(proc.running).toBe(false);
  });

  it('turns a missing binary into an exit, not a crash', async () => {
    const proc = spawnFfmpeg({ path: '/nonexistent/ffmpeg', args: [], role: 'capture' });
    expect(await proc.exited).toEqual({ code: -1, signal: null });
    expect(proc.stderrTail()).toMatch(/ENOENT/);
  });

  it('removes its exit hook once the child is gone', async () => {
    const before = process.listenerCount('exit');
    const proc = spawnFfmpeg({ path: fake, args: ['hang'], role: 'capture' });
    expect(process.listenerCount('exit')).toBe(before + 1);
    proc.kill();
    await proc.exited;
    expect(process.listenerCount('exit')).toBe(before);
  });
});

describe('ffmpegCommand', () => {
  it('on Linux runs ffmpeg through setpriv so the kernel kills it when the publisher dies', () => {
    expect(ffmpegCommand('ffmpeg', ['-i', 'x'], 'linux', true)).toEqual(['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'ffmpeg', '-i', 'x']]);
    expect(ffmpegCommand(process.execPath, ['-i', 'x'], 'linux', true)[0]).toBe('/usr/bin/setpriv');
  });
  it('runs ffmpeg itself elsewhere or without setpriv', () => {
    expect(ffmpegCommand('ffmpeg', ['-i', 'x'], 'darwin', true)).toEqual(['ffmpeg', ['-i', 'x']]);
    expect(ffmpegCommand('ffmpeg', ['-i', 'x'], 'linux', false)).toEqual(['ffmpeg', ['-i', 'x']]);
    expect(ffmpegCommand('/nonexistent/ffmpeg', [], 'linux', true)).toEqual(['/nonexistent/ffmpeg', []]);
  });
});
