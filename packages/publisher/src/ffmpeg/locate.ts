// Finds ffmpeg: FFMPEG_PATH, else `ffmpeg` on PATH, else the binary @ffmpeg-installer ships, so
// installing the packages is enough on a machine without ffmpeg.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { FfmpegNotFoundError } from '../errors.js';

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Stand-in for the @ffmpeg-installer lookup (tests). */
  bundled?: () => string | undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Candidate paths for `name` on PATH, in order (pure). */
export function pathCandidates(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  return dirs.flatMap((dir) => exts.map((ext) => join(dir, name + ext.toLowerCase())));
}

export async function findOnPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<string | undefined> {
  for (const candidate of pathCandidates(name, env, platform)) {
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function bundledFfmpeg(): string | undefined {
  try {
    // The package is CommonJS and throws on platforms it has no binary for.
    const installer = createRequire(import.meta.url)('@ffmpeg-installer/ffmpeg') as { path?: string };
    return installer.path;
  } catch {
    return undefined;
  }
}

export async function locateFfmpeg(options: LocateOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (env.FFMPEG_PATH) {
    if (await isExecutable(env.FFMPEG_PATH)) return env.FFMPEG_PATH;
    throw new FfmpegNotFoundError(`FFMPEG_PATH is set to \`${env.FFMPEG_PATH}\`, which is not an executable file`);
  }
  const onPath = await findOnPath('ffmpeg', env, platform);
  if (onPath) return onPath;
  const bundled = (options.bundled ?? bundledFfmpeg)();
  if (bundled && (await isExecutable(bundled))) return bundled;
  throw new FfmpegNotFoundError('ffmpeg not found: install it (e.g. `apt-get install ffmpeg`) or set FFMPEG_PATH');
}
