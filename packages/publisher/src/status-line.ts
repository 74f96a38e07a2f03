// One live status line on a terminal, rewritten in place; log lines are written above it.
import type { PublisherStatus } from './publisher.js';

export interface StatusLine {
  render(status: PublisherStatus): void;
  /** Writes text (a log line) without tearing the status line. */
  write(text: string): void;
  clear(): void;
}

export function formatStatus(status: PublisherStatus, now = Date.now()): string {
  const last = status.lastUploadAt === undefined ? 'none' : `${((now - status.lastUploadAt) / 1000).toFixed(1)} s ago`;
  const trouble = status.dropped || status.rejected ? ` | dropped ${status.dropped} refused ${status.rejected}` : '';
  const error = status.queued > 1 && status.lastError ? ` | ${status.lastError}` : '';
  return `${status.state} | ${status.fps} fps | segments ${status.segments} sent ${status.sent} | queue ${status.queued}${trouble} | last upload ${last}${error}`;
}

export function createStatusLine(stream: NodeJS.WriteStream): StatusLine {
  let current = '';
  const clearSeq = '\r\x1b[2K';
  return {
    render(status) {
      const columns = stream.columns || 100;
      current = formatStatus(status).slice(0, columns - 1);
      stream.write(`${clearSeq}${current}`);
    },
    write(text) {
      stream.write(`${current ? clearSeq : ''}${text}${current}`);
    },
    clear() {
      if (current) stream.write(clearSeq);
      current = '';
    },
  };
}
