export { createPublisher, type CreatePublisherOptions, type Publisher, type PublisherStatus } from './publisher.js';
export { DEFAULTS, resolveOptions, type PublisherOptions, type ResolvedOptions, type Source, type LogLevel } from './options.js';
export { createIdentityStage, needsFrames, type Frame, type FrameStage, type StreamInfo } from './pipeline/stage.js';
export type { Segment } from './pipeline/segmenter.js';
export {
  PublisherError,
  OptionError,
  DeviceNotFoundError,
  FfmpegExitError,
  FfmpegNotFoundError,
  UnauthorizedError,
} from './errors.js';
