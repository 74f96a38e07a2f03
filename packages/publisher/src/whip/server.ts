// The WHIP endpoint (RFC 9725) and the capture page, on one HTTP(S) port: POST /whip answers an
// offer with 201, the answer SDP and the session's Location; DELETE on that URL ends it; GET /
// serves the page. One publisher at a time; every refusal is a JSON error (protocol/whip.ts) that
// leaves the live session alone. It is the pipeline's SessionIngest: the pipeline starts a
// capture for each session and is told when the session ends.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  errorBody,
  isSdpContentType,
  MAX_OFFER_BYTES,
  parseBearer,
  parseWhipSessionPath,
  SDP_CONTENT_TYPE,
  WHIP_ERRORS,
  WHIP_PATH,
  whipSessionPath,
  type WhipErrorCode,
} from '@hls-live/protocol';
import pino, { type Logger } from 'pino';
import type { IngestHandlers, SessionIngest } from '../pipeline/ingest.js';
import { checkWhipOptions, WHIP_DEFAULTS, type WhipServerOptions } from './options.js';
import { chooseVideo, type Offer, OfferError, parseOffer } from './sdp.js';
import { createWhipSession, type EndReason, type WhipSession } from './session.js';
import type { TlsPair } from './tls.js';

export interface CreateWhipServerOptions extends WhipServerOptions {
  logger?: Logger;
  /** The loaded TLS pair (tls.ts); plain HTTP without one. */
  tls?: TlsPair | undefined;
  /** Folder of the capture page. Default: the package's `whip-page/`. */
  pageDir?: string;
}

export interface WhipServer extends SessionIngest {
  /** Resolves with the base URL (`http://127.0.0.1:8890`) once listening. */
  listen(): Promise<string>;
  /** Ends the live session and closes the port. */
  close(): Promise<void>;
  /** The live session's id, if any. */
  live(): string | undefined;
}

class WhipError extends Error {
  constructor(
    readonly code: WhipErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const PAGE_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const DEFAULT_PAGE_DIR = fileURLToPath(new URL('../../whip-page/', import.meta.url));

const digest = (value: string) => createHash('sha256').update(value).digest();

export function createWhipServer(options: CreateWhipServerOptions = {}): WhipServer {
  checkWhipOptions(options);
  const logger = options.logger ?? pino({ level: 'silent' });
  const host = options.host ?? WHIP_DEFAULTS.host;
  const pageDir = options.pageDir ?? DEFAULT_PAGE_DIR;
  const expected = options.token === undefined ? undefined : digest(options.token);
  // ICE on the same interface as HTTP: a loopback endpoint announces only 127.0.0.1.
  const iceAddress = host === '0.0.0.0' || host === '::' ? undefined : host;
  let handlers: IngestHandlers | undefined;
  let live: WhipSession | undefined;
  // Until the last session's capture and encoder finish, the next publisher waits its turn (409).
  let ending: Promise<void> | undefined;

  const authorized = (header: string | undefined) => {
    if (!expected) return true;
    const presented = parseBearer(header);
    // Both sides hashed: equal lengths for timingSafeEqual, and no early exit on a short token.
    return timingSafeEqual(digest(presented ?? ''), expected) && presented !== undefined;
  };

  const onEnd = (session: WhipSession, _reason: EndReason) => {
    if (live !== session) return;
    live = undefined;
    const done = handlers?.end(session) ?? Promise.resolve();
    const current = done
      .catch((error: unknown) => logger.error({ err: error }, 'ending the WHIP session failed'))
      .finally(() => {
        if (ending === current) ending = undefined;
      });
    ending = current;
  };

  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_OFFER_BYTES) {
          reject(new WhipError('OFFER_TOO_LARGE', `the offer is larger than ${MAX_OFFER_BYTES} bytes`));
          req.resume();
        } else chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const publish = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!isSdpContentType(req.headers['content-type'])) throw new WhipError('NOT_SDP', `the offer must be sent as ${SDP_CONTENT_TYPE}`);
    const sdp = await readBody(req);
    let offer: Offer;
    try {
      offer = parseOffer(sdp);
    } catch (error) {
      throw new WhipError('INVALID_OFFER', error instanceof OfferError ? error.message : 'unreadable offer');
    }
    const video = chooseVideo(offer);
    if (!video) throw new WhipError('NO_USABLE_CODEC', 'the offer sends no video in a codec we take (H.264 with packetization-mode=1, or VP8)');
    if (live || ending) throw new WhipError('PUBLISHER_BUSY', 'another publisher is live; one camera at a time');
    if (!handlers) throw new WhipError('SESSION_FAILED', 'the publisher is not taking publishers now (starting or stopping)');
    const id = `w${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    let session: WhipSession;
    try {
      session = await createWhipSession({ ...options, id, sdp, offer, video, iceAddress, logger, onEnd });
    } catch (error) {
      logger.warn({ err: error }, 'WHIP offer refused by the WebRTC stack');
      throw new WhipError('INVALID_OFFER', `the offer cannot be answered: ${error instanceof Error ? error.message : String(error)}`);
    }
    // Another POST may have won while this one gathered candidates.
    if (live || ending || !handlers) {
      session.close('stopped');
      throw new WhipError('PUBLISHER_BUSY', 'another publisher is live; one camera at a time');
    }
    live = session;
    logger.info({ session: id, codec: video.codec, remote: req.socket.remoteAddress }, 'WHIP publisher connected');
    handlers.begin(session);
    res.writeHead(201, { 'Content-Type': SDP_CONTENT_TYPE, Location: whipSessionPath(id), 'Access-Control-Expose-Headers': 'Location' });
    res.end(session.answer);
  };

  const servePage = async (path: string, res: http.ServerResponse) => {
    let name: string;
    try {
      name = path === '/' ? 'index.html' : decodeURIComponent(path);
    } catch {
      throw new WhipError('NOT_FOUND', 'no such page');
    }
    const file = normalize(join(pageDir, name));
    if (!file.startsWith(pageDir.endsWith(sep) ? pageDir : pageDir + sep)) throw new WhipError('NOT_FOUND', 'no such page');
    const body = await readFile(file).catch(() => {
      throw new WhipError('NOT_FOUND', 'no such page');
    });
    res.writeHead(200, {
      'Content-Type': PAGE_TYPES[extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const method = req.method ?? 'GET';
    const sessionId = parseWhipSessionPath(path);
    if (method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type',
        'Access-Control-Expose-Headers': 'Location',
        ...(path === WHIP_PATH ? { 'Accept-Post': SDP_CONTENT_TYPE } : {}),
      });
      return void res.end();
    }
    if (path === WHIP_PATH || sessionId !== undefined || path.startsWith(`${WHIP_PATH}/`)) {
      if (!authorized(req.headers.authorization)) throw new WhipError('UNAUTHORIZED', 'a valid `Authorization: Bearer <token>` (--whip-token) is required');
      if (path === WHIP_PATH && method === 'POST') return publish(req, res);
      if (sessionId !== undefined && method === 'DELETE') {
        if (live?.id !== sessionId) throw new WhipError('SESSION_NOT_FOUND', 'no live session at this URL');
        live.close('deleted');
        return void res.writeHead(200).end();
      }
      if (sessionId !== undefined && method === 'PATCH')
        throw new WhipError('TRICKLE_NOT_SUPPORTED', 'trickle ICE is not supported: the answer carries every candidate');
      throw new WhipError('NOT_FOUND', `${method} ${path} is not a WHIP resource`);
    }
    if (method === 'GET' || method === 'HEAD') return servePage(path, res);
    throw new WhipError('NOT_FOUND', `${method} ${path} is not served here`);
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    route(req, res).catch((error: unknown) => {
      const known = error instanceof WhipError;
      if (!known) logger.error({ err: error }, 'WHIP request failed');
      const code: WhipErrorCode = known ? error.code : 'SESSION_FAILED';
      if (res.headersSent) return void res.destroy();
      res.writeHead(WHIP_ERRORS[code], {
        'Content-Type': 'application/json; charset=utf-8',
        ...(code === 'UNAUTHORIZED' ? { 'WWW-Authenticate': 'Bearer' } : {}),
        ...(code === 'TRICKLE_NOT_SUPPORTED' ? { Allow: 'DELETE' } : {}),
      });
      res.end(JSON.stringify(errorBody(code, known ? error.message : 'internal error')));
    });
  };

  const server = options.tls ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : http.createServer(onRequest);
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;

  return {
    serve(next) {
      handlers = next;
      return {
        async stop() {
          // The live session's end still reaches these handlers; then no one is taken any more.
          live?.close('stopped');
          await ending;
          if (handlers === next) handlers = undefined;
        },
      };
    },
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? WHIP_DEFAULTS.port, host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const shown = host.includes(':') ? `[${host}]` : host;
          resolve(`${options.tls ? 'https' : 'http'}://${shown}:${port}`);
        });
      });
    },
    async close() {
      live?.close('stopped');
      await ending;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    live: () => live?.id,
  };
}
