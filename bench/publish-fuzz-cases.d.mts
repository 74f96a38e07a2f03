export interface FuzzCase {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}
export interface FuzzAnswer {
  status: number;
  type: string;
  body: string;
}
export interface FuzzRun {
  requests: number;
  /** Answers per HTTP status. */
  statuses: Record<string, number>;
  /** One line per answer that was not a 4xx JSON error with a string `code`. */
  failures: string[];
  seconds: number;
}
export const FUZZ_SERVER: { readonly publishToken: string; readonly maxSegmentBytes: number; readonly maxUploads: number };
export const FUZZ_DEFAULT_SEED: number;
export function mulberry32(seed: number): () => number;
export function createFuzzCases(seed: number, segment: Buffer): () => FuzzCase;
export function sendFuzzCase(port: number, c: FuzzCase): Promise<FuzzAnswer>;
export function runFuzz(options: { port: number; seed: number; count: number; segment: Buffer; concurrency?: number }): Promise<FuzzRun>;
