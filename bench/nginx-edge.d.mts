import type { ChildProcess } from 'node:child_process';

/** One line of the edge's access log. */
export interface EdgeLogLine {
  status: number;
  /** MISS, HIT, EXPIRED, UPDATING, STALE, BYPASS, or '-' (no cache involved). */
  cache: string;
  /** The origin address when the request went there, '-' when the edge answered alone. */
  upstream: string;
  uri: string;
}
export interface Edge {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly child: ChildProcess;
  /** The access log so far. */
  log(): EdgeLogLine[];
  /** Fast shutdown (SIGTERM to the master, which ends its workers), waited for; SIGKILL after 5 s. */
  stop(): Promise<void>;
}
export const TEMPLATE: string;
export const NGINX: string;
export function freePort(): Promise<number>;
export function renderTemplate(origin: string, edgePort: string): string;
export function startEdge(origin: string, options?: { workers?: number; accessLog?: boolean }): Promise<Edge>;
