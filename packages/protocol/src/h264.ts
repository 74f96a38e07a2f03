// H.264 in Annex B byte stream format (ITU-T H.264 Annex B), as the live video channel carries it:
// NAL units behind 00 00 01 or 00 00 00 01 start codes. Pure helpers: find the NAL units, tell a
// keyframe, and cut an encoder's byte stream into access units (one picture each).

/** NAL unit types this product looks at (H.264 table 7-1). */
export const NAL_TYPES = { NON_IDR_SLICE: 1, IDR_SLICE: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

/** The type of a NAL unit (its first byte's low 5 bits). */
export function nalType(nal: Uint8Array): number {
  return (nal[0] ?? 0) & 0x1f;
}

/** The NAL units of an Annex B byte string, as views on it (start codes and trailing zeros left out). */
export function nalUnits<T extends Uint8Array>(bytes: T): T[] {
  const units: T[] = [];
  let start = -1;
  const n = bytes.length;
  let i = 0;
  while (i + 2 < n) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      if (start >= 0) units.push(bytes.subarray(start, trimZeros(bytes, start, i)) as T);
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < n) units.push(bytes.subarray(start, n) as T);
  return units;
}

// A 4-byte start code's leading zero (and any trailing_zero_8bits) belongs to no NAL unit.
function trimZeros(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && bytes[end - 1] === 0) end--;
  return end;
}

/** True when `bytes` begins with a start code (00 00 01 or 00 00 00 01). */
export function startsWithStartCode(bytes: Uint8Array): boolean {
  if (bytes.length >= 3 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 1) return true;
  return bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 1;
}

/** An access unit a decoder can start from: it holds an IDR slice. */
export function isKeyframe(au: Uint8Array): boolean {
  return nalUnits(au).some((nal) => nalType(nal) === NAL_TYPES.IDR_SLICE);
}

/** A VCL NAL unit (a slice) whose first_mb_in_slice is 0: the first slice of a new picture. */
function isFirstSlice(nal: Uint8Array): boolean {
  const type = nalType(nal);
  // first_mb_in_slice is ue(v); 0 is coded as the single bit 1.
  return (type === NAL_TYPES.NON_IDR_SLICE || type === NAL_TYPES.IDR_SLICE) && nal.length > 1 && (nal[1]! & 0x80) !== 0;
}

/** Types that, after a slice, open the next access unit (H.264 7.4.1.2.3). */
const OPENS_ACCESS_UNIT = new Set<number>([NAL_TYPES.AUD, NAL_TYPES.SPS, NAL_TYPES.PPS, NAL_TYPES.SEI, 14, 15, 16, 17, 18]);

/**
 * Cuts an Annex B byte stream, fed in chunks of any size, into access units. An access unit is
 * returned once the next one begins, so each one is whole; `flush()` returns the last. Each
 * access unit is a fresh array of NAL units, each behind a 4-byte start code.
 */
export class AccessUnitSplitter {
  #pending: Uint8Array = new Uint8Array(0);
  #current: Uint8Array[] = [];
  #hasSlice = false;

  push(chunk: Uint8Array): Uint8Array[] {
    this.#pending = this.#pending.length === 0 ? chunk.slice() : concat([this.#pending, chunk]);
    // Every NAL unit but the last is whole: the last may continue in the next chunk.
    const lastStart = lastStartCode(this.#pending);
    if (lastStart <= 0) return [];
    const whole = nalUnits(this.#pending.subarray(0, lastStart));
    const out = this.#take(whole);
    this.#pending = this.#pending.slice(lastStart);
    return out;
  }

  /** The access unit in progress, at the end of the stream. */
  flush(): Uint8Array[] {
    const out = this.#take(nalUnits(this.#pending));
    this.#pending = new Uint8Array(0);
    if (this.#current.length > 0 && this.#hasSlice) out.push(concat(this.#current));
    this.#current = [];
    this.#hasSlice = false;
    return out;
  }

  #take(nals: Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const nal of nals) {
      if (nal.length === 0) continue;
      const type = nalType(nal);
      const opens = this.#hasSlice && (OPENS_ACCESS_UNIT.has(type) || isFirstSlice(nal));
      if (opens) {
        out.push(concat(this.#current));
        this.#current = [];
        this.#hasSlice = false;
      }
      // A copy: the NAL unit is a view on the pending bytes, which the next push replaces.
      this.#current.push(START_CODE, nal.slice());
      if (type === NAL_TYPES.NON_IDR_SLICE || type === NAL_TYPES.IDR_SLICE) this.#hasSlice = true;
    }
    return out;
  }
}

const START_CODE = Uint8Array.from([0, 0, 0, 1]);

/** The bytes of `parts`, one after another, in a new array. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// Where the last start code (3- or 4-byte) begins; -1 when there is none.
function lastStartCode(bytes: Uint8Array): number {
  for (let i = bytes.length - 3; i >= 0; i--) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) return i > 0 && bytes[i - 1] === 0 ? i - 1 : i;
  }
  return -1;
}
