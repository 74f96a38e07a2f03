// The media folder: segments arrive in a temporary file and are renamed into place only once
// whole and valid, so nobody ever reads half a segment; the bytes are kept for serving.
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StreamerError } from '../errors.js';
import { storageError } from './storage-errors.js';
import { createTsCheck } from './ts-check.js';

export interface MediaDirOptions {
  readonly dir: string;
  readonly maxSegmentBytes: number;
}

export interface MediaDir {
  readonly dir: string;
  /** Creates the folder and removes temporary files a crash left behind; runs once. */
  ready(): Promise<void>;
  /**
   * Streams a body into `<dir>/<name>`, checking size and MPEG-TS framing on the way.
   * Resolves the bytes, or null for an empty body (nothing is written then).
   */
  receive(name: string, body: Readable, declaredLength?: number): Promise<Buffer | null>;
  /** Loads and checks a segment the publisher wrote into the folder itself. */
  adopt(name: string): Promise<Buffer>;
  remove(name: string): Promise<void>;
}

// Temporary names start with a dot, which no segment name may, so the two can never collide.
const TEMP = /^\..+\.tmp$/;

function tooLarge(max: number): StreamerError {
  return new StreamerError('BODY_TOO_LARGE', `Segment is over the limit of ${max} bytes; raise --max-segment-bytes or send shorter segments.`, {
    maxSegmentBytes: max,
  });
}

function notTs(reason: string): StreamerError {
  return new StreamerError('NOT_MPEG_TS', `Body is not MPEG-TS (188-byte packets starting with 0x47): ${reason}.`);
}

// Reads the body by events rather than pipeline(): on a refusal the request must stay open so
// the error response can still be sent; the HTTP layer then discards the rest.
function streamInto(body: Readable, out: WriteStream, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const check = createTsCheck();
    const chunks: Buffer[] = [];
    let settled = false;
    const detach = () => {
      body.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
      out.off('error', fail);
    };
    function fail(error: Error) {
      if (settled) return;
      settled = true;
      detach();
      body.pause();
      reject(error);
    }
    function onData(chunk: Buffer) {
      if (check.bytes + chunk.length > max) return fail(tooLarge(max));
      const reason = check.push(chunk);
      if (reason !== undefined) return fail(notTs(reason));
      chunks.push(chunk);
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => settled || body.resume());
      }
    }
    function onEnd() {
      const reason = check.bytes === 0 ? undefined : check.end();
      if (reason !== undefined) return fail(notTs(reason));
      settled = true;
      detach();
      out.once('error', reject);
      out.once('close', () => resolve(Buffer.concat(chunks, check.bytes)));
      out.end();
    }
    function onAbort() {
      fail(new StreamerError('CLIENT_ABORTED', 'The request body ended early.'));
    }
    function onClose() {
      if (!body.readableEnded) onAbort();
    }
    body.on('data', onData).once('end', onEnd).once('error', onAbort).once('close', onClose);
    out.once('error', fail);
  });
}

// The file is opened asynchronously: removing it before the stream closed could race its creation.
// A write still in flight fails with ERR_STREAM_DESTROYED once the stream is destroyed; the file
// is being thrown away, so that error is expected and must not become an uncaught exception.
function destroyed(out: WriteStream): Promise<void> {
  out.on('error', () => {});
  if (out.closed) return Promise.resolve();
  return new Promise((resolve) => {
    out.once('close', () => resolve());
    out.destroy();
  });
}

export function createMediaDir(options: MediaDirOptions): MediaDir {
  const { dir, maxSegmentBytes: max } = options;
  let readying: Promise<void> | undefined;

  async function prepare(): Promise<void> {
    await mkdir(dir, { recursive: true });
    const leftovers = (await readdir(dir)).filter((name) => TEMP.test(name));
    await Promise.all(leftovers.map((name) => rm(join(dir, name), { force: true })));
  }

  function ready(): Promise<void> {
    readying ??= prepare();
    return readying;
  }

  return {
    dir,
    ready,

    async receive(name, body, declaredLength) {
      await ready();
      if (declaredLength !== undefined && declaredLength > max) throw tooLarge(max);
      const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      const out = createWriteStream(temp, { flags: 'wx' });
      try {
        const bytes = await streamInto(body, out, max);
        if (bytes.length === 0) {
          await rm(temp, { force: true });
          return null;
        }
        await rename(temp, join(dir, name));
        return bytes;
      } catch (error) {
        await destroyed(out);
        await rm(temp, { force: true }).catch(() => {});
        throw storageError(error, dir);
      }
    },

    async adopt(name) {
      await ready();
      const path = join(dir, name);
      const missing = new StreamerError(
        'SEGMENT_FILE_MISSING',
        `The body is empty and the media folder has no file \`${name}\`: send the segment bytes as the body.`,
        { name },
      );
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile()) throw missing;
      if (info.size > max) throw tooLarge(max);
      const bytes = await readFile(path);
      const check = createTsCheck();
      const reason = check.push(bytes) ?? check.end();
      if (reason !== undefined) throw notTs(reason);
      return bytes;
    },

    async remove(name) {
      await rm(join(dir, name), { force: true });
    },
  };
}
