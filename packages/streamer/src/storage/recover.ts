// Start-up recovery of the media folder: the saved window comes back with the bytes of every
// segment it lists, and .ts files it does not refer to (an upload that never made it into the
// window before a crash, or a segment whose deletion was lost) are deleted so disk stays bounded.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseSavedState, referencedNames, restoreWindow } from '../hls/restore.js';
import type { WindowConfig, WindowState } from '../hls/window.js';
import type { MediaDir } from './media-dir.js';
import type { StateFile } from './state-file.js';

export interface Recovered {
  /** Undefined when there was no usable saved state: the window starts fresh. */
  readonly state: WindowState | undefined;
  readonly bytes: ReadonlyMap<string, Buffer>;
  readonly orphansDeleted: readonly string[];
}

export interface RecoverOptions {
  readonly media: MediaDir;
  readonly stateFile: StateFile;
  readonly config: WindowConfig;
  readonly logger: Logger;
  readonly now: number;
}

async function loadSaved(stateFile: StateFile, logger: Logger): Promise<WindowState | undefined> {
  try {
    const saved = await stateFile.load();
    return saved === undefined ? undefined : parseSavedState(saved);
  } catch (error) {
    logger.error({ err: error, file: stateFile.path }, 'saved window state unusable: starting a fresh window (the media sequence restarts at 0)');
    return undefined;
  }
}

export async function recoverMedia(options: RecoverOptions): Promise<Recovered> {
  const { media, stateFile, logger } = options;
  await media.ready();
  const saved = await loadSaved(stateFile, logger);
  const bytes = new Map<string, Buffer>();
  let state: WindowState | undefined;
  if (saved) {
    for (const name of referencedNames(saved)) {
      try {
        bytes.set(name, await media.adopt(name));
      } catch (error) {
        logger.warn({ file: name, err: error }, 'a segment of the saved window is missing or damaged');
      }
    }
    state = restoreWindow(saved, options.config, (name) => bytes.has(name), options.now);
    const kept = referencedNames(state);
    for (const name of bytes.keys()) if (!kept.has(name)) bytes.delete(name);
  }
  const keep = state ? referencedNames(state) : new Set<string>();
  const orphans = (await readdir(media.dir)).filter((name) => name.endsWith('.ts') && !keep.has(name));
  await Promise.all(orphans.map((name) => rm(join(media.dir, name), { force: true })));
  if (state) {
    logger.info(
      {
        segments: state.segments.length,
        retiring: state.retiring.length,
        mediaSequence: state.mediaSequence,
        nextSequence: state.nextSequence,
        orphansDeleted: orphans.length,
      },
      'window restored from the media folder',
    );
  } else if (orphans.length) {
    logger.info({ orphansDeleted: orphans.length }, 'deleted segment files no window refers to');
  }
  return { state, bytes, orphansDeleted: orphans };
}
