// Keeps one WebSocket to the streamer's MJPEG ingest open (reconnecting with backoff), sends
// JPEGs only while the streamer says someone is watching, and drops a JPEG rather than queue it
// behind one still on its way. Wire format: docs/PROTOCOL.md, "MJPEG preview" (@hls-live/protocol, preview.ts).
import {
  authHeaders,
  encodeFrameMessage,
  encodeVideoMessage,
  parseCaptureMessage,
  parseLiveDemand,
  PREVIEW_CLOSE_CODES,
  previewUpgradeHeaders,
  previewUrl,
} from '@hls-live/protocol';
import { WebSocket } from 'ws';
import { UnauthorizedError } from '../errors.js';
import { backoff } from '../retry/backoff.js';

/** Structurally compatible with pino's `Logger`. */
export interface MjpegLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MjpegSenderOptions {
  /** Base URL of the streamer, e.g. `http://127.0.0.1:8080`. */
  streamer: string;
  token?: string | undefined;
  /** The named stream this preview (and capture on demand) is for; default `default`. */
  stream?: string | undefined;
  /** Capture on demand: the streamer then also says whether anyone watches the stream (`onCapture`). */
  captureOnDemand?: boolean | undefined;
  /** Declared with `captureOnDemand` (the publisher's target duration), before any segment. */
  targetDuration?: number | undefined;
  /** Every capture message of the streamer (`captureOnDemand` only): someone watches, or nobody does any more. */
  onCapture?(watched: boolean): void;
  logger?: MjpegLogger;
  /** Reconnect backoff: first delay and cap. Default 250 and 4000 ms. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** Every change of demand (false while disconnected). */
  onDemand?(demand: boolean): void;
  /** Every change of the streamer's demand for H.264 access units, for WebRTC viewers (false while disconnected). */
  onVideoDemand?(video: boolean): void;
  /** The streamer refused the token (401): the sender stops trying. */
  onFatal?(error: Error): void;
}

export interface MjpegSender {
  start(): void;
  /** Sends one frame message; false (dropped) when not connected, not wanted, or the previous one is still being sent. */
  send(jpeg: Buffer, captureTime: number): boolean;
  readonly demand: boolean;
  /** The streamer wants H.264 access units (live-video.ts) for its WebRTC viewers. */
  readonly videoDemand: boolean;
  /** Sends one access unit; false when not connected, not wanted, or over a second of video is still queued. */
  sendVideo(au: Uint8Array, captureTime: number): boolean;
  readonly connected: boolean;
  /** Calls `listener` on every change of `demand` or `videoDemand`; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  stop(): Promise<void>;
}

/** Bytes queued on the socket past which an access unit is dropped rather than queued (the feed then waits for a keyframe). */
const MAX_VIDEO_BUFFERED_BYTES = 2 * 1024 * 1024;

const silent: MjpegLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function createMjpegSender(options: MjpegSenderOptions): MjpegSender {
  const logger = options.logger ?? silent;
  const url = previewUrl(options.streamer);
  const delays = backoff({ minMs: options.retryMinMs ?? 250, maxMs: options.retryMaxMs ?? 4000 });
  let ws: WebSocket | undefined;
  let demand = false;
  let videoDemand = false;
  const listeners = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let failures = 0;

  const setDemand = (value: boolean) => {
    if (value === demand) return;
    demand = value;
    logger.debug({ demand }, 'MJPEG demand changed');
    options.onDemand?.(demand);
    for (const listener of listeners) listener();
  };

  const setVideoDemand = (value: boolean) => {
    if (value === videoDemand) return;
    videoDemand = value;
    logger.debug({ video: videoDemand }, 'video demand changed');
    options.onVideoDemand?.(videoDemand);
    for (const listener of listeners) listener();
  };

  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, delays.next());
  };

  const connect = () => {
    const headers = {
      ...authHeaders(options.token),
      ...previewUpgradeHeaders({ stream: options.stream, onDemand: options.captureOnDemand, targetDuration: options.targetDuration }),
    };
    const socket = new WebSocket(url, { headers, perMessageDeflate: false, handshakeTimeout: 5000 });
    ws = socket;
    socket.on('open', () => {
      delays.reset();
      if (failures > 0) logger.info({ url }, 'MJPEG connection restored');
      failures = 0;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const capture = parseCaptureMessage(String(data));
      if (capture !== undefined) {
        options.onCapture?.(capture);
        return;
      }
      const wanted = parseLiveDemand(String(data));
      if (wanted === undefined) {
        logger.warn({ message: String(data).slice(0, 200) }, 'unreadable MJPEG control message');
        return;
      }
      setDemand(wanted.mjpeg);
      setVideoDemand(wanted.video);
    });
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      socket.terminate();
      if (res.statusCode === 401) {
        stopped = true;
        const error = new UnauthorizedError();
        if (options.onFatal) options.onFatal(error);
        else logger.error({ err: error }, 'MJPEG preview stopped');
      } else {
        logger.warn({ status: res.statusCode, url }, 'the streamer refused the MJPEG connection');
      }
    });
    socket.on('error', (error) => {
      if (failures++ === 0) logger.warn({ err: error, url }, 'MJPEG connection failed; retrying');
    });
    socket.on('close', (code, reason) => {
      if (ws !== socket) return;
      ws = undefined;
      setDemand(false);
      setVideoDemand(false);
      // Nobody can say whether anyone watches until the connection is back: capture on demand idles.
      if (options.captureOnDemand) options.onCapture?.(false);
      if (!stopped) {
        if (code >= 4000) logger.warn({ code, reason: String(reason) }, 'the streamer closed the MJPEG connection');
        schedule();
      }
    });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      connect();
    },
    send(jpeg, captureTime) {
      const socket = ws;
      if (!demand || !socket || socket.readyState !== WebSocket.OPEN || socket.bufferedAmount > 0) return false;
      socket.send(encodeFrameMessage(captureTime, jpeg), { binary: true });
      return true;
    },
    get demand() {
      return demand;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get videoDemand() {
      return videoDemand;
    },
    sendVideo(au, captureTime) {
      const socket = ws;
      if (!videoDemand || !socket || socket.readyState !== WebSocket.OPEN || socket.bufferedAmount > MAX_VIDEO_BUFFERED_BYTES) return false;
      socket.send(encodeVideoMessage(captureTime, au), { binary: true });
      return true;
    },
    get connected() {
      return ws?.readyState === WebSocket.OPEN;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      const socket = ws;
      ws = undefined;
      setDemand(false);
      setVideoDemand(false);
      if (!socket || socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(PREVIEW_CLOSE_CODES.NORMAL, 'publisher stopping');
      const timeout = setTimeout(() => socket.terminate(), 1000);
      await closed;
      clearTimeout(timeout);
    },
  };
}
