// The viewer page (webroot/ at `/`) and hls.js from the installed package, served the koa-send
// way: decode in try/catch, confine under the root, map ENOENT/ENOTDIR to 404, stream the file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { StreamerError } from '../errors.js';

export const HLS_JS_PATH = '/vendor/hls.min.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/** The minified hls.js of the installed package (its exports map allows `./dist/*`). */
export function resolveHlsJs(): string {
  return createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
}

function notFound(): StreamerError {
  return new StreamerError('NOT_FOUND', 'No such file.');
}

async function statFile(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return undefined;
    throw error;
  }
}

async function sendFile(ctx: Context, path: string, cacheControl: string): Promise<void> {
  let info = await statFile(path);
  if (info?.isDirectory()) {
    path = join(path, 'index.html');
    info = await statFile(path);
  }
  if (!info?.isFile()) throw notFound();
  // No stream for HEAD: Koa would never read it, and its file descriptor would stay open.
  if (ctx.method === 'HEAD') {
    ctx.body = null;
    ctx.status = 200;
  } else {
    ctx.body = createReadStream(path);
  }
  ctx.set('Content-Type', TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
  ctx.set('Cache-Control', cacheControl);
  ctx.set('Last-Modified', info.mtime.toUTCString());
  ctx.length = info.size;
}

/** Serves files under `root`; the last middleware, so it only sees paths no route took. */
export function webrootFiles(root: string): Middleware {
  const base = resolve(root);
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    let path: string;
    try {
      path = decodeURIComponent(ctx.path);
    } catch {
      throw new StreamerError('INVALID_PATH', 'The path is not valid percent-encoding.');
    }
    if (path.includes('\0')) throw new StreamerError('INVALID_PATH', 'The path contains a NUL byte.');
    // Dot segments cover `..` and hidden files alike; neither is ever served.
    if (path.split(/[\\/]/).some((part) => part.startsWith('.'))) throw notFound();
    const full = resolve(base, `.${path}`);
    if (full !== base && !full.startsWith(base + sep)) throw notFound();
    await sendFile(ctx, full, 'no-cache');
  };
}

export function registerVendorRoute(router: Router, hlsJsFile: string): void {
  router.get(HLS_JS_PATH, async (ctx) => {
    await sendFile(ctx, hlsJsFile, 'public, max-age=3600');
  });
}
