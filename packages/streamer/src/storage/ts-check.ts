// Incremental MPEG-TS framing check, fed chunk by chunk while a body streams in, so a bad body is
// refused at its first bad packet instead of after it has been stored.

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;

export interface TsCheck {
  /** Returns a reason when this chunk breaks the framing. */
  push(chunk: Uint8Array): string | undefined;
  /** Returns a reason when the whole body is not a non-empty run of whole packets. */
  end(): string | undefined;
  readonly bytes: number;
}

export function createTsCheck(): TsCheck {
  let bytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    push(chunk) {
      const first = (TS_PACKET_SIZE - (bytes % TS_PACKET_SIZE)) % TS_PACKET_SIZE;
      for (let i = first; i < chunk.length; i += TS_PACKET_SIZE) {
        if (chunk[i] !== TS_SYNC_BYTE) {
          return `byte ${bytes + i} should start a 188-byte packet with the sync byte 0x47 but is 0x${(chunk[i] ?? 0).toString(16).padStart(2, '0')}`;
        }
      }
      bytes += chunk.length;
      return undefined;
    },
    end() {
      if (bytes === 0) return 'the body is empty';
      if (bytes % TS_PACKET_SIZE !== 0) return `${bytes} bytes is not a whole number of 188-byte packets`;
      return undefined;
    },
  };
}
