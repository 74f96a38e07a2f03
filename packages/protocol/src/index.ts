// The wire contract between hls-publish and hls-streamer, one module per channel
// (docs/PROTOCOL.md). Pure: no I/O, no state; both packages import it.
export * from './auth.js';
export * from './errors.js';
export * from './h264.js';
export { decimal, headerValue, type HeaderBag } from './headers.js';
export * from './live-video.js';
export * from './parts.js';
export * from './preview.js';
export * from './publish.js';
export * from './streams.js';
export * from './url.js';
export * from './whep.js';
export * from './whip.js';
