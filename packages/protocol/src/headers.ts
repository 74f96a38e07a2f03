// Header bags as Node's IncomingMessage#headers holds them: lower-case names, a repeated header
// as an array. Kept structural so the parsers need no node: import.
import { ProtocolError } from './errors.js';

export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** One value for a header; repeated values are joined with `,` (RFC 9110 5.3). */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

const DECIMAL = /^\d{1,6}(?:\.\d{1,9})?$/;

/** A number of seconds as the contract writes it (`2`, `2.002`; not `2e0`, `0x2`, `-0`, `.5`), else NaN. */
export function decimal(raw: string): number {
  return DECIMAL.test(raw) ? Number(raw) : Number.NaN;
}

/** INVALID_HEADER naming the header, what it should be, and (cut short) what it was. */
export function invalidHeader(header: string, value: string, expected: string): ProtocolError {
  return new ProtocolError('INVALID_HEADER', `Expected \`${header}\` to be ${expected}, got \`${value.slice(0, 80)}\`.`, { header });
}
