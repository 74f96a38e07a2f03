// GET /mjpeg (multipart/x-mixed-replace, one JPEG per part) and GET /snapshot.jpg, both fed by
// the MJPEG hub. Asking for either tells the publisher someone is watching.
import type Router from '@koa/router';
import { StreamerError } from '../errors.js';
import { CONTENT_TYPE } from '../mjpeg/frame.js';
import type { PickStream } from './stream-lookup.js';

const NO_CACHE = {
  'Cache-Control': 'no-cache, no-store, must-revalidate',
  Pragma: 'no-cache',
  Expires: '0',
};

export function registerMjpegRoutes(router: Router, pick: PickStream, prefix = ''): void {
  router.get(`${prefix}/mjpeg`, (ctx) => {
    const hub = pick(ctx).mjpeg;
    ctx.set(NO_CACHE);
    ctx.set('Content-Type', CONTENT_TYPE);
    // Proxies such as nginx must pass parts through as they come.
    ctx.set('X-Accel-Buffering', 'no');
    ctx.status = 200;
    if (ctx.method === 'HEAD') return;
    // The hub writes this response from now on; Koa must not end it.
    ctx.respond = false;
    ctx.res.flushHeaders();
    hub.addViewer(ctx.res);
  });

  router.get(`${prefix}/snapshot.jpg`, async (ctx) => {
    const frame = await pick(ctx).mjpeg.snapshot();
    if (!frame) throw new StreamerError('NO_FRAME', 'No MJPEG frame yet: no publisher has sent one since the streamer started.');
    ctx.set(NO_CACHE);
    ctx.set('X-Capture-Time', String(Math.round(frame.captureTime)));
    ctx.type = 'image/jpeg';
    ctx.body = frame.jpeg;
  });
}
