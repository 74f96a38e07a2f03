// The window state on disk, so a streamer killed mid-stream comes back with the same window and
// media sequence. Written atomically: a temporary file, fsync, rename over the old one, fsync of
// the folder; a crash leaves either the old state or the new one, never half of one.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Not a segment name (those end in `.ts`), so no upload can ever overwrite it. */
export const STATE_FILE_NAME = 'window-state.json';
const FORMAT = 1;

export interface StateFile {
  readonly path: string;
  /** The saved state, undefined when there is none; throws when the file is unreadable or not ours. */
  load(): Promise<unknown>;
  /**
   * Queues a write of `state`; resolves once a write of this state (or a newer one) is on disk.
   * Writes never overlap, and a burst of changes costs one write of the latest.
   */
  save(state: unknown): Promise<void>;
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; some file systems refuse to open a folder for this.
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // EINVAL on file systems without directory fsync: the rename is still atomic.
  } finally {
    await handle.close();
  }
}

async function writeAtomic(dir: string, path: string, text: string): Promise<void> {
  // Dot + .tmp: the media folder removes such leftovers at start (media-dir.ts).
  const temp = join(dir, `.${STATE_FILE_NAME}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

export function createStateFile(dir: string): StateFile {
  const path = join(dir, STATE_FILE_NAME);
  let latest: unknown;
  let requested = 0;
  let written = 0;
  let chain: Promise<void> = Promise.resolve();

  return {
    path,

    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const parsed = JSON.parse(text) as { format?: unknown; state?: unknown };
      if (parsed?.format !== FORMAT) throw new Error(`${path} is not a state file of format ${FORMAT}`);
      return parsed.state;
    },

    save(state) {
      latest = state;
      const mine = ++requested;
      const run = chain.then(async () => {
        if (written >= mine) return;
        const covers = requested;
        await writeAtomic(dir, path, JSON.stringify({ format: FORMAT, savedAt: Date.now(), state: latest }));
        written = covers;
      });
      // One failed write must not poison the ones after it; its caller still sees the error.
      chain = run.catch(() => {});
      return run;
    },
  };
}
