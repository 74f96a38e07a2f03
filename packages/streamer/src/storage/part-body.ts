// A Low-Latency HLS part's body, read into memory with the same MPEG-TS framing check as a
// segment's: parts live seconds, so they never touch the disk (their segment does).
import type { Readable } from 'node:stream';
import { MAX_PART_BYTES } from '@hls-live/protocol';
import { StreamerError } from '../errors.js';
import { createTsCheck } from './ts-check.js';

function tooLarge(): StreamerError {
  return new StreamerError('BODY_TOO_LARGE', `Part is over the limit of ${MAX_PART_BYTES} bytes.`, { maxPartBytes: MAX_PART_BYTES });
}

// By events rather than pipeline(): on a refusal the request stays open for the error response.
export function readTsBody(body: Readable, declaredLength?: number): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > MAX_PART_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const check = createTsCheck();
    const chunks: Buffer[] = [];
    const detach = () => body.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onClose);
    const fail = (error: StreamerError) => {
      detach();
      body.pause();
      reject(error);
    };
    function onData(chunk: Buffer) {
      if (check.bytes + chunk.length > MAX_PART_BYTES) return fail(tooLarge());
      const reason = check.push(chunk);
      if (reason !== undefined) return fail(new StreamerError('NOT_MPEG_TS', `Part is not MPEG-TS (188-byte packets starting with 0x47): ${reason}.`));
      chunks.push(chunk);
    }
    function onEnd() {
      const reason = check.end();
      if (reason !== undefined) return fail(new StreamerError('NOT_MPEG_TS', `Part is not MPEG-TS (188-byte packets starting with 0x47): ${reason}.`));
      detach();
      resolve(Buffer.concat(chunks, check.bytes));
    }
    function onAbort() {
      fail(new StreamerError('CLIENT_ABORTED', 'The request body ended early.'));
    }
    function onClose() {
      if (!body.readableEnded) onAbort();
    }
    body.on('data', onData).once('end', onEnd).once('error', onAbort).once('close', onClose);
  });
}
