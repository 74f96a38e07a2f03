// The media folder failing under a running streamer: a clear 5xx JSON error, and the streamer
// keeps serving the window it has. ENOSPC comes from a real, tiny tmpfs (root can mount one);
// ENOTDIR from replacing the folder with a file, which works anywhere.
import { execFileSync } from 'node:child_process';
import { mkdir, open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegments, tempDir } from '../helpers/fixtures.js';
import { playlistText, publish, raw, startServer } from '../helpers/server.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let segments: Buffer[];
let mount: string | undefined;
let whyNoMount = '';

beforeAll(async () => {
  tmp = await tempDir();
  segments = await makeSegments(tmp.path, 3, 0.5, '320x240');
  const point = join(tmp.path, 'tiny');
  await mkdir(point);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', point], { stdio: 'pipe' });
    mount = point;
  } catch (error) {
    whyNoMount = String((error as { stderr?: Buffer }).stderr ?? error).trim();
  }
});
afterAll(async () => {
  if (mount) execFileSync('umount', [mount]);
  await tmp.remove();
});

// Writes zeros until the file system says ENOSPC.
async function fill(path: string): Promise<void> {
  const handle = await open(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}

describe('an unwritable or full media folder', () => {
  it('answers 500 STORAGE_UNWRITABLE when the folder became a file, and keeps serving', async () => {
    const server = await startServer();
    expect((await publish(server.port, { name: 'a-0.ts', duration: 0.5, body: segments[0] })).status).toBe(201);
    const before = await playlistText(server.port);
    await rm(server.mediaDir, { recursive: true });
    await writeFile(server.mediaDir, 'not a folder');

    const res = await publish(server.port, { name: 'a-1.ts', duration: 0.5, body: segments[1] });
    expect(res.status).toBe(500);
    expect(res.json().error.code).toBe('STORAGE_UNWRITABLE');
    expect(res.json().error.message).toMatch(/media folder .* cannot be written \(ENOTDIR\): check that it exists/);
    expect(await playlistText(server.port)).toBe(before);
    expect((await raw(server.port, { path: '/segments/a-0.ts' })).status).toBe(200);
    expect((await raw(server.port, { path: '/healthz' })).json()).toMatchObject({ status: 'ok', segments: 1 });
    await rm(server.mediaDir, { force: true });
    await server.close();
  });

  it('answers 507 STORAGE_FULL when the disk is full, keeps serving, and takes segments again once there is room', async (ctx) => {
    if (!mount) ctx.skip(`cannot mount a tmpfs here (${whyNoMount}); run as root on Linux to test ENOSPC`);
    const mediaDir = join(mount!, 'media');
    const server = await startServer({ mediaDir });
    expect((await publish(server.port, { name: 'a-0.ts', duration: 0.5, body: segments[0] })).status).toBe(201);
    const before = await playlistText(server.port);
    await fill(join(mount!, 'filler'));
    const res = await publish(server.port, { name: 'a-1.ts', duration: 0.5, body: segments[1] });
    expect(res.status).toBe(507);
    expect(res.json().error).toMatchObject({ code: 'STORAGE_FULL', message: expect.stringMatching(/is full \(ENOSPC\): free disk space/) });
    expect(await playlistText(server.port)).toBe(before);
    expect((await raw(server.port, { path: '/segments/a-0.ts' })).body.equals(segments[0]!)).toBe(true);
    expect((await readdir(mediaDir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await raw(server.port, { path: '/healthz' })).status).toBe(200);
    await rm(join(mount!, 'filler'));
    expect((await publish(server.port, { name: 'a-1.ts', duration: 0.5, body: segments[1] })).status).toBe(201);
    await server.close();
  });
});
