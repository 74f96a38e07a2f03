export { createStreamer, type Listening, type Streamer } from './streamer.js';
export { DEFAULTS, resolveOptions, type LogLevel, type ResolvedOptions, type StreamerOptions } from './options.js';
export { StreamerError, type StreamerErrorCode } from './errors.js';
export type { Health, LiveStream, RenderedPlaylist } from './live-stream.js';
export type { Segment, SegmentInput, WindowState } from './hls/window.js';
export { renderPlaylist } from './hls/playlist.js';
export type { MjpegFrame, MjpegHub, MjpegStats } from './mjpeg/hub.js';
export { BOUNDARY as MJPEG_BOUNDARY } from './mjpeg/frame.js';
