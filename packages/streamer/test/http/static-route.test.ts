import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.js';
import { resolveHlsJs } from '../../src/http/static-route.js';
import { tempDir } from '../helpers/fixtures.js';
import { raw, startServer, type TestServer } from '../helpers/server.js';

let site: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;

beforeAll(async () => {
  // <site>/secret.txt sits beside the webroot: one `..` away from being served.
  site = await tempDir();
  const webroot = join(site.path, 'webroot');
  await mkdir(join(webroot, 'css'), { recursive: true });
  await writeFile(join(webroot, 'index.html'), '<!doctype html><title>viewer</title>');
  await writeFile(join(webroot, 'viewer.js'), 'console.log(1)');
  await writeFile(join(webroot, 'css', 'index.html'), 'css index');
  await writeFile(join(webroot, 'css', 'site.css'), 'body{}');
  await writeFile(join(webroot, '.env'), 'SECRET=1');
  await writeFile(join(site.path, 'secret.txt'), 'root:x:0:0:SECRET');
  server = await startServer({ webroot });
});
afterAll(async () => {
  await server?.close();
  await site?.remove();
});

describe('webroot', () => {
  it.each([
    ['/', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html>'],
    ['/viewer.js', 'text/javascript; charset=utf-8', 'console.log'],
    ['/css/site.css', 'text/css; charset=utf-8', 'body{}'],
    ['/css/', 'text/html; charset=utf-8', 'css index'],
    ['/css', 'text/html; charset=utf-8', 'css index'],
  ])('serves %s', async (path, type, start) => {
    const res = await raw(server.port, { path });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body.toString().startsWith(start)).toBe(true);
  });

  it('answers HEAD with the length and no body', async () => {
    const res = await raw(server.port, { method: 'HEAD', path: '/viewer.js' });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('14');
    expect(res.body.length).toBe(0);
  });

  it.each([
    '/..%2f..%2fetc/passwd',
    '/%2e%2e/',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/../secret.txt',
    '/css/..%2f..%2fsecret.txt',
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/..\\secret.txt',
    '/%5c..%5csecret.txt',
    '/.env',
    '/%00',
    '/index.html%00.js',
    '/%zz',
    '/index.html/x',
    '/missing.html',
    `/${'a'.repeat(5000)}`,
  ])('never serves %s', async (path) => {
    const res = await raw(server.port, { path });
    expect([400, 404]).toContain(res.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.toString()).not.toMatch(/root:|SECRET/);
  });
});

describe('/vendor/hls.min.js', () => {
  it('serves hls.js from the installed package', async () => {
    const res = await raw(server.port, { path: '/vendor/hls.min.js' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.body.equals(await readFile(resolveHlsJs()))).toBe(true);
    expect(res.body.length).toBeGreaterThan(100_000);
  });
});

describe('default webroot', () => {
  it("is the repository's webroot/ folder", () => {
    expect(resolveOptions().webroot).toBe(join(import.meta.dirname, '..', '..', '..', '..', 'webroot'));
  });
});

describe('media folder paths', () => {
  // Segments are served from the window's memory, never by path: files beside them (the saved
  // window, temporary uploads) and files outside the media folder are unreachable.
  it.each([
    '/segments/window-state.json',
    '/segments/..%2fsecret.txt',
    '/segments/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/segments/..%5csecret.txt',
    '/segments/%2e%2e',
    '/segments/.window-state.json.abc.tmp',
    '/segments/a.ts%00.json',
    '/segments/%ff',
    '/media/window-state.json',
    '/window-state.json',
    '/stream.m3u8/..%2f..%2fsecret.txt',
  ])('never serves %s', async (path) => {
    await writeFile(join(server.mediaDir, 'window-state.json'), '{"SECRET":1}').catch(() => {});
    const res = await raw(server.port, { path });
    expect([400, 404]).toContain(res.status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body.toString()).not.toMatch(/root:|SECRET/);
  });
});
