// File-system failures of the media folder, turned into errors that say what to do: the disk,
// not the request, is at fault, so these are 5xx and the publisher keeps its segment and retries.
import { isStreamerError, StreamerError } from '../errors.js';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'ENOENT', 'EISDIR', 'EIO', 'EMFILE', 'ENFILE']);

/** Maps a file-system error to STORAGE_FULL / STORAGE_UNWRITABLE; anything else is returned as is. */
export function storageError(error: unknown, dir: string): unknown {
  if (isStreamerError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && FULL.has(code)) {
    return new StreamerError(
      'STORAGE_FULL',
      `The media folder ${dir} is full (${code}): free disk space or lower --window; the stream goes on once there is room.`,
      { errno: code },
    );
  }
  if (code !== undefined && UNWRITABLE.has(code)) {
    return new StreamerError(
      'STORAGE_UNWRITABLE',
      `The media folder ${dir} cannot be written (${code}): check that it exists, is a folder and is writable by the streamer.`,
      { errno: code },
    );
  }
  return error;
}
