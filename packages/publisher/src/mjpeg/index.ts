export { createMjpegTap, withMjpegTap, type MjpegTap, type MjpegTapOptions, type MjpegTapStats } from './tap.js';
export {
  DEFAULT_MJPEG_OPTIONS,
  parseMjpeg,
  parseMjpegFps,
  parseMjpegQuality,
  parseMjpegSize,
  resolveMjpegOptions,
  type MjpegOptions,
} from './options.js';
export { createMjpegSender, type MjpegLogger, type MjpegSender, type MjpegSenderOptions } from './sender.js';
export { createJpegEncoder, type JpegEncoder, type JpegEncoderOptions } from './encoder.js';
export { createJpegSplitter, type JpegSplitter } from './jpeg-splitter.js';
export { jpegEncoderArgs, type JpegEncoderFormat } from './args.js';
