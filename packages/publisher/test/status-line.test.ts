import { describe, expect, it } from 'vitest';
import type { PublisherStatus } from '../src/publisher.js';
import { formatStatus } from '../src/status-line.js';

const base: PublisherStatus = {
  state: 'running',
  sessionId: 'p1',
  fps: 29.8,
  frames: 900,
  segments: 14,
  sent: 13,
  queued: 1,
  dropped: 0,
  rejected: 0,
  lastUploadAt: 10_000,
  lastError: undefined,
};

describe('formatStatus', () => {
  it('shows fps, segments, queue and the last upload', () => {
    expect(formatStatus(base, 11_500)).toBe('running | 29.8 fps | segments 14 sent 13 | queue 1 | last upload 1.5 s ago');
  });

  it('shows drops and the last error while the streamer is away', () => {
    expect(formatStatus({ ...base, queued: 10, dropped: 3, lastError: 'connect ECONNREFUSED 127.0.0.1:8080', lastUploadAt: undefined }, 0)).toBe(
      'running | 29.8 fps | segments 14 sent 13 | queue 10 | dropped 3 refused 0 | last upload none | connect ECONNREFUSED 127.0.0.1:8080',
    );
  });
});
