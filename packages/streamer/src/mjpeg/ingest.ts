// The MJPEG ingest: one WebSocket per publisher at /publish/mjpeg, authenticated on the upgrade
// like the segment route. Binary messages carry frames into the hub; text messages tell the
// publisher whether anyone is watching (docs/PROTOCOL.md, "MJPEG preview"; the wire format is
// @hls-live/protocol, preview.ts). One publisher per stream: the upgrade names its stream with
// `X-Stream` (or `?stream=`), `default` without one; a publisher capturing on demand (`X-On-Demand`)
// is also told whether anyone watches its stream at all (streams.ts).
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  AUTH_CHALLENGE,
  closeReason,
  encodeCaptureMessage,
  encodeLiveDemand,
  errorBody,
  parsePreviewUpgrade,
  PUBLISH_ERRORS,
  frameCloseCode,
  isProtocolError,
  isVideoMessage,
  maxFrameMessageBytes,
  MJPEG_INGEST_PATH,
  parseFrameMessage,
  parseVideoMessage,
  PREVIEW_CLOSE_CODES,
  PREVIEW_HEARTBEAT_MS,
} from '@hls-live/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { StreamerError } from '../errors.js';
import type { NamedStream } from '../streams/named-stream.js';
import type { StreamRegistry } from '../streams/registry.js';
import type { VideoHub } from '../webrtc/video-hub.js';

export interface MjpegIngestOptions {
  /** The stream of a connection (created when new) and its publish token check. */
  readonly streams: Pick<StreamRegistry, 'open' | 'authorize'>;
  /** Set when WebRTC is on: H.264 access units (live-video.ts) go to the video hub of their stream (any hub here says "on"); none: they are refused. */
  readonly video?: VideoHub | undefined;
  readonly logger: Logger;
  /** Largest JPEG accepted, in bytes. */
  readonly maxFrameBytes: number;
  /** Ping interval; a publisher that misses one is dropped. Default PREVIEW_HEARTBEAT_MS (15000). */
  readonly heartbeatMs?: number;
}

export interface MjpegIngest {
  /** For the http server's 'upgrade' event. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  close(): void;
}

// Refuses an upgrade with a plain HTTP response in the streamer's JSON error shape.
function refuse(socket: Duplex, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(errorBody(code, message));
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    Connection: 'close',
    ...extra,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`);
}

export function createMjpegIngest(options: MjpegIngestOptions): MjpegIngest {
  const { streams, logger } = options;
  const videoOf = (stream: NamedStream) => (options.video ? stream.video : undefined);
  // Over maxPayload, ws itself closes with PREVIEW_CLOSE_CODES.TOO_BIG (1009).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameMessageBytes(options.maxFrameBytes), perMessageDeflate: false, clientTracking: true });
  // The publisher connection of each stream, and the unsubscribes of its demand listeners.
  const current = new Map<NamedStream, WebSocket>();
  const listening = new Map<NamedStream, () => void>();
  const alive = new WeakSet<WebSocket>();

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        logger.warn('MJPEG publisher missed a heartbeat: dropping its connection');
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.heartbeatMs ?? PREVIEW_HEARTBEAT_MS);
  heartbeat.unref();

  // One message says both wants: MJPEG frames (`demand`) and H.264 access units (`video`).
  const demandMessage = (stream: NamedStream) => encodeLiveDemand({ mjpeg: stream.mjpeg.demand(), video: videoOf(stream)?.demand() ?? false });
  const send = (stream: NamedStream, message: string) => {
    const ws = current.get(stream);
    if (ws && ws.readyState === ws.OPEN) ws.send(message);
  };
  const listen = (stream: NamedStream) => {
    if (listening.has(stream)) return;
    const sendDemand = () => send(stream, demandMessage(stream));
    const offs = [stream.mjpeg.onDemand(sendDemand), videoOf(stream)?.onDemand(sendDemand)];
    // Only a publisher capturing on demand is told whether anyone watches (others would not read it).
    offs.push(stream.watch.onChange((watched) => stream.onDemand && send(stream, encodeCaptureMessage(watched))));
    listening.set(stream, () => {
      for (const off of offs) off?.();
    });
  };

  const refuseFrame = (ws: WebSocket, error: unknown) => {
    const code = isProtocolError(error) && (error.code === 'NOT_JPEG' || error.code === 'INVALID_VIDEO') ? error.code : 'INVALID_FRAME';
    const message = error instanceof Error ? error.message : String(error);
    logger.warn({ code }, `MJPEG frame refused: ${message}`);
    ws.close(frameCloseCode(code === 'INVALID_VIDEO' ? 'INVALID_FRAME' : code), closeReason(code, message));
  };

  const accept = (ws: WebSocket, req: IncomingMessage, stream: NamedStream, upgrade: { onDemand: boolean; targetDuration: number | undefined }) => {
    const hub = stream.mjpeg;
    const video = videoOf(stream);
    const previous = current.get(stream);
    if (previous) {
      logger.info({ stream: stream.name }, 'a newer MJPEG publisher connected: closing the previous one');
      previous.close(PREVIEW_CLOSE_CODES.REPLACED, closeReason('REPLACED', 'a newer publisher connection took over'));
    }
    current.set(stream, ws);
    listen(stream);
    alive.add(ws);
    hub.setPublisherConnected(true);
    video?.setPublisherConnected(true);
    stream.onDemand = upgrade.onDemand;
    stream.declaredTarget = upgrade.targetDuration;
    stream.active();
    logger.info({ stream: stream.name, remote: req.socket.remoteAddress, onDemand: upgrade.onDemand }, 'MJPEG publisher connected');
    ws.on('pong', () => alive.add(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (ws !== current.get(stream)) return;
      if (!isBinary) {
        ws.close(PREVIEW_CLOSE_CODES.UNSUPPORTED, 'only binary frame messages are accepted');
        return;
      }
      try {
        if (video && isVideoMessage(data)) video.publish(parseVideoMessage(data));
        else hub.publish(parseFrameMessage(data));
      } catch (error) {
        refuseFrame(ws, error);
      }
    });
    ws.on('error', (error) => logger.warn({ err: error }, 'MJPEG publisher connection failed'));
    ws.on('close', (code) => {
      if (ws !== current.get(stream)) return;
      current.delete(stream);
      listening.get(stream)?.();
      listening.delete(stream);
      hub.setPublisherConnected(false);
      video?.setPublisherConnected(false);
      stream.onDemand = false;
      stream.active();
      logger.info({ stream: stream.name, code }, 'MJPEG publisher disconnected; viewers keep the last frame');
    });
    ws.send(demandMessage(stream));
    if (upgrade.onDemand) ws.send(encodeCaptureMessage(stream.watch.watched()));
  };

  return {
    handleUpgrade(req, socket, head) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== MJPEG_INGEST_PATH) {
        refuse(socket, 404, 'NOT_FOUND', `No WebSocket at ${path?.slice(0, 200)}; the MJPEG ingest is ${MJPEG_INGEST_PATH}.`);
        return;
      }
      let upgrade: ReturnType<typeof parsePreviewUpgrade>;
      try {
        upgrade = parsePreviewUpgrade(req.headers, req.url ?? '');
      } catch (error) {
        refuse(socket, 400, isProtocolError(error) ? error.code : 'INVALID_HEADER', error instanceof Error ? error.message : String(error));
        return;
      }
      try {
        streams.authorize(upgrade.stream, req.headers.authorization);
      } catch (error) {
        const message = error instanceof StreamerError ? error.message : 'Unauthorized.';
        logger.info({ code: 'UNAUTHORIZED', path }, message);
        refuse(socket, 401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': AUTH_CHALLENGE });
        return;
      }
      streams.open(upgrade.stream).then(
        (stream) => {
          if (!socket.destroyed) wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req, stream, upgrade));
        },
        (error: unknown) => {
          if (error instanceof StreamerError && error.code === 'TOO_MANY_STREAMS') {
            refuse(socket, PUBLISH_ERRORS.TOO_MANY_STREAMS.status, error.code, error.message);
            return;
          }
          logger.error({ err: error, stream: upgrade.stream }, 'could not open a stream for an MJPEG publisher');
          refuse(socket, 500, 'INTERNAL', 'The streamer could not open this stream; see its log.');
        },
      );
    },
    close() {
      clearInterval(heartbeat);
      for (const off of listening.values()) off();
      listening.clear();
      for (const ws of wss.clients) ws.close(PREVIEW_CLOSE_CODES.GOING_AWAY, 'streamer shutting down');
      // Connections that do not finish the closing handshake are cut by the server's close().
      wss.close();
    },
  };
}
