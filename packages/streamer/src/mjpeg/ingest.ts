// The MJPEG ingest: one WebSocket per publisher at /publish/mjpeg, authenticated on the upgrade
// like the segment route. Binary messages carry frames into the hub; text messages tell the
// publisher whether anyone is watching (docs/PROTOCOL.md, "MJPEG preview"; the wire format is
// @hls-live/protocol, preview.ts).
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  AUTH_CHALLENGE, closeReason, encodeDemandMessage, errorBody, frameCloseCode, isProtocolError, maxFrameMessageBytes, MJPEG_INGEST_PATH, parseFrameMessage,
  PREVIEW_CLOSE_CODES, PREVIEW_HEARTBEAT_MS,
} from '@hls-live/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { StreamerError } from '../errors.js';
import type { Authorize } from '../http/auth.js';
import type { MjpegHub } from './hub.js';

export interface MjpegIngestOptions {
  readonly hub: MjpegHub;
  readonly authorize: Authorize;
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
    'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'Cache-Control': 'no-store', Connection: 'close', ...extra,
  };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`);
}

export function createMjpegIngest(options: MjpegIngestOptions): MjpegIngest {
  const { hub, authorize, logger } = options;
  // Over maxPayload, ws itself closes with PREVIEW_CLOSE_CODES.TOO_BIG (1009).
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameMessageBytes(options.maxFrameBytes), perMessageDeflate: false, clientTracking: true });
  let current: WebSocket | undefined;
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

  const sendDemand = (demand: boolean) => {
    if (current && current.readyState === current.OPEN) current.send(encodeDemandMessage(demand));
  };
  const unsubscribe = hub.onDemand(sendDemand);

  const refuseFrame = (ws: WebSocket, error: unknown) => {
    const code = isProtocolError(error) && error.code === 'NOT_JPEG' ? 'NOT_JPEG' : 'INVALID_FRAME';
    const message = error instanceof Error ? error.message : String(error);
    logger.warn({ code }, `MJPEG frame refused: ${message}`);
    ws.close(frameCloseCode(code), closeReason(code, message));
  };

  const accept = (ws: WebSocket, req: IncomingMessage) => {
    if (current) {
      logger.info('a newer MJPEG publisher connected: closing the previous one');
      current.close(PREVIEW_CLOSE_CODES.REPLACED, closeReason('REPLACED', 'a newer publisher connection took over'));
    }
    current = ws;
    alive.add(ws);
    hub.setPublisherConnected(true);
    logger.info({ remote: req.socket.remoteAddress }, 'MJPEG publisher connected');
    ws.on('pong', () => alive.add(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (ws !== current) return;
      if (!isBinary) {
        ws.close(PREVIEW_CLOSE_CODES.UNSUPPORTED, 'only binary frame messages are accepted');
        return;
      }
      try {
        hub.publish(parseFrameMessage(data));
      } catch (error) {
        refuseFrame(ws, error);
      }
    });
    ws.on('error', (error) => logger.warn({ err: error }, 'MJPEG publisher connection failed'));
    ws.on('close', (code) => {
      if (ws !== current) return;
      current = undefined;
      hub.setPublisherConnected(false);
      logger.info({ code }, 'MJPEG publisher disconnected; viewers keep the last frame');
    });
    ws.send(encodeDemandMessage(hub.demand()));
  };

  return {
    handleUpgrade(req, socket, head) {
      const path = (req.url ?? '').split('?')[0];
      if (path !== MJPEG_INGEST_PATH) {
        refuse(socket, 404, 'NOT_FOUND', `No WebSocket at ${path?.slice(0, 200)}; the MJPEG ingest is ${MJPEG_INGEST_PATH}.`);
        return;
      }
      try {
        authorize(req.headers.authorization);
      } catch (error) {
        const message = error instanceof StreamerError ? error.message : 'Unauthorized.';
        logger.info({ code: 'UNAUTHORIZED', path }, message);
        refuse(socket, 401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': AUTH_CHALLENGE });
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
    },
    close() {
      clearInterval(heartbeat);
      unsubscribe();
      for (const ws of wss.clients) ws.close(PREVIEW_CLOSE_CODES.GOING_AWAY, 'streamer shutting down');
      // Connections that do not finish the closing handshake are cut by the server's close().
      wss.close();
    },
  };
}
