// The wire contract between hls-publish and hls-streamer, one module per channel
// (docs/PROTOCOL.md). Pure: no I/O, no state; both packages import it.
export * from './auth.js';
export * from './errors.js';
export { decimal, headerValue, type HeaderBag } from './headers.js';
export * from './parts.js';
export * from './preview.js';
export * from './publish.js';
export * from './url.js';
