export interface ViewerTotals {
  playlistRequests: number;
  segmentRequests: number;
  failed: number;
  segmentBytes: number;
  /** GETs sent again after a keep-alive socket was reset by the server before answering. */
  retried: number;
}
export interface LatencySample {
  n?: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}
export interface Viewers {
  readonly totals: ViewerTotals;
  sample(): LatencySample;
  stop(): Promise<ViewerTotals & { failures: string[]; playlistLatencyMs: LatencySample }>;
}
export function startViewers(baseUrl: string, options?: { count?: number; pollMs?: number; maxSockets?: number }): Viewers;
