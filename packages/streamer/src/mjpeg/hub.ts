// The MJPEG fan-out. The hub keeps one reference to the newest frame, never a queue: each viewer
// is written to only once its socket has drained, and then gets whatever is newest, so a slow
// viewer skips frames and holds at most one part in its socket buffer.
import type { ServerResponse } from 'node:http';
import { createHubDemand } from './demand.js';
import { PREAMBLE, renderPart, type IngestFrame } from './frame.js';

export interface MjpegFrame extends IngestFrame {
  /** 1, 2, 3... per frame received by this hub. */
  readonly seq: number;
  /** Streamer clock (ms epoch) when the frame arrived. */
  readonly receivedAt: number;
  /** The multipart part written to viewers. */
  readonly part: Buffer;
}

export interface MjpegStats {
  viewers: number;
  frames: number;
  /** Parts written, all viewers together. */
  sent: number;
  /** Frames viewers never got because their socket was still busy with an older one. */
  skipped: number;
  /** Bytes waiting in each viewer's response buffer right now. */
  buffered: number[];
  /** Per viewer, how many frames the newest one is ahead of the last one it was sent. */
  behind: number[];
  demand: boolean;
  publisher: boolean;
}

export interface MjpegHubOptions {
  /** Demand stays on this long after the last viewer or snapshot. */
  idleMs: number;
  /** A snapshot with a stale (or no) frame waits this long for a fresh one when a publisher is connected. Default 1500. */
  snapshotWaitMs?: number;
  now?: () => number;
}

export interface MjpegHub {
  publish(frame: IngestFrame): MjpegFrame;
  latest(): MjpegFrame | undefined;
  /** Takes over a response whose multipart headers are already set; it leaves on its own close. */
  addViewer(res: ServerResponse): void;
  /** The newest frame for `/snapshot.jpg`, fresh if a publisher can make one in time. */
  snapshot(): Promise<MjpegFrame | undefined>;
  demand(): boolean;
  /** Called with every change of demand; returns the unsubscribe. */
  onDemand(listener: (demand: boolean) => void): () => void;
  setPublisherConnected(connected: boolean): void;
  stats(): MjpegStats;
  /** Ends every viewer's response and clears the timer. */
  close(): void;
}

interface Viewer {
  readonly res: ServerResponse;
  sentSeq: number;
  busy: boolean;
}

export function createMjpegHub(options: MjpegHubOptions): MjpegHub {
  const now = options.now ?? Date.now;
  const snapshotWaitMs = options.snapshotWaitMs ?? 1500;
  const demand = createHubDemand(options.idleMs, now);
  const viewers = new Set<Viewer>();
  // Snapshot requests waiting for a fresh frame; `true` means the hub is closing.
  const waiters = new Set<(closing: boolean) => void>();
  let latest: MjpegFrame | undefined;
  let seq = 0;
  let sent = 0;
  let skipped = 0;
  let publisher = false;
  let closed = false;

  const send = (viewer: Viewer) => {
    const frame = latest;
    if (!frame || viewer.busy || viewer.sentSeq >= frame.seq || viewer.res.destroyed) return;
    if (viewer.sentSeq > 0) skipped += frame.seq - viewer.sentSeq - 1;
    viewer.sentSeq = frame.seq;
    sent++;
    // false: the part sits in the response buffer; nothing more until 'drain'.
    if (!viewer.res.write(frame.part)) viewer.busy = true;
  };

  return {
    publish(input) {
      // The frame keeps only the part (with the JPEG inside), not the WebSocket message.
      const { part, jpeg } = renderPart(input);
      const frame: MjpegFrame = { captureTime: input.captureTime, jpeg, part, seq: ++seq, receivedAt: now() };
      latest = frame;
      for (const viewer of viewers) send(viewer);
      for (const check of [...waiters]) check(false);
      return frame;
    },
    latest: () => latest,

    addViewer(res) {
      if (closed) {
        res.end();
        return;
      }
      const viewer: Viewer = { res, sentSeq: 0, busy: false };
      viewers.add(viewer);
      const onDrain = () => {
        viewer.busy = false;
        send(viewer);
      };
      const onClose = () => {
        res.off('drain', onDrain).off('close', onClose).off('error', onClose);
        if (!viewers.delete(viewer)) return;
        demand.viewerLeft();
      };
      res.on('drain', onDrain).once('close', onClose).once('error', onClose);
      demand.viewerJoined();
      res.write(PREAMBLE);
      send(viewer);
    },

    async snapshot() {
      demand.touched();
      const stale = !latest || now() - latest.receivedAt > 1000;
      if (!publisher || !stale || closed) return latest;
      const before = latest?.seq ?? 0;
      await new Promise<void>((resolve) => {
        const finish = () => {
          clearTimeout(timeout);
          waiters.delete(check);
          resolve();
        };
        const check = (closing: boolean) => {
          if (closing || (latest?.seq ?? 0) > before) finish();
        };
        const timeout = setTimeout(finish, snapshotWaitMs);
        waiters.add(check);
      });
      return latest;
    },

    demand: demand.demand,
    onDemand: demand.onDemand,
    setPublisherConnected(connected) {
      publisher = connected;
    },

    stats: () => ({
      viewers: viewers.size,
      frames: seq,
      sent,
      skipped,
      demand: demand.demand(),
      publisher,
      buffered: [...viewers].map((v) => v.res.writableLength),
      behind: [...viewers].map((v) => (latest?.seq ?? 0) - v.sentSeq),
    }),

    close() {
      closed = true;
      demand.close();
      for (const check of [...waiters]) check(true);
      for (const viewer of [...viewers]) viewer.res.end();
      viewers.clear();
    },
  };
}
