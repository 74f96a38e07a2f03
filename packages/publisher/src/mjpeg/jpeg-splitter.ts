// Splits ffmpeg's image2pipe output into whole JPEGs. It walks the marker segments (whose
// lengths it skips, so bytes inside tables are never mistaken for markers) and then scans the
// entropy-coded data, where a real marker is 0xFF followed by neither 0x00 nor RSTn.

export interface JpegSplitter {
  push(chunk: Buffer): void;
  /** Drops a partial JPEG (after the encoder restarted). */
  reset(): void;
}

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;

/** `maxBytes` bounds a JPEG in progress; past it the bytes are dropped and the splitter resyncs. */
export function createJpegSplitter(onJpeg: (jpeg: Buffer) => void, maxBytes = 16 * 1024 * 1024): JpegSplitter {
  let pending: Buffer = Buffer.alloc(0);
  let pos = 0;
  let entropy = false;

  const restart = (from: number) => {
    pending = pending.subarray(from);
    pos = 0;
    entropy = false;
  };

  // Returns true when it made progress and should be called again.
  const step = (): boolean => {
    if (pos === 0) {
      const start = pending.indexOf(Buffer.from([0xff, SOI]));
      if (start < 0) {
        // Keep a trailing 0xFF: it may be the first half of the next SOI.
        restart(pending.length > 0 && pending[pending.length - 1] === 0xff ? pending.length - 1 : pending.length);
        return false;
      }
      restart(start);
      pos = 2;
      return true;
    }
    if (entropy) {
      for (let i = pos; i + 1 < pending.length; i++) {
        if (pending[i] !== 0xff) continue;
        const next = pending[i + 1]!;
        if (next === 0x00 || next === 0xff || (next >= 0xd0 && next <= 0xd7)) continue;
        if (next === EOI) {
          onJpeg(Buffer.from(pending.subarray(0, i + 2)));
          restart(i + 2);
          return true;
        }
        // Another marker segment (progressive JPEGs have several scans).
        pos = i;
        entropy = false;
        return true;
      }
      pos = Math.max(pos, pending.length - 1);
      return false;
    }
    if (pos + 2 > pending.length) return false;
    if (pending[pos] !== 0xff) {
      restart(pos); // Not a marker where one must be: resync on the next SOI.
      pending = pending.subarray(1);
      return true;
    }
    const marker = pending[pos + 1]!;
    if (marker === 0xff) {
      pos += 1;
      return true;
    }
    if (marker === EOI) {
      onJpeg(Buffer.from(pending.subarray(0, pos + 2)));
      restart(pos + 2);
      return true;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      return true;
    }
    if (pos + 4 > pending.length) return false;
    pos += 2 + pending.readUInt16BE(pos + 2);
    if (marker === SOS) entropy = true;
    return true;
  };

  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (step());
      if (pending.length > maxBytes) restart(pending.length);
    },
    reset() {
      pending = Buffer.alloc(0);
      pos = 0;
      entropy = false;
    },
  };
}
