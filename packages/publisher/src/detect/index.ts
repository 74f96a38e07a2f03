export { createDetectStage, type DetectLogger, type DetectStage, type DetectStageOptions, type DetectStats } from './detect-stage.js';
export {
  DEFAULT_DETECT_OPTIONS,
  DETECTOR_NAMES,
  parseBoxThickness,
  parseDetectFps,
  parseDetectionsFile,
  parseDetector,
  parseMinScore,
  resolveDetectOptions,
  type DetectOptions,
  type DetectorChoice,
  type DetectorName,
} from './options.js';
export { DetectorLoadError } from './errors.js';
export { DetectionsFileError, formatDetectionLine, type DetectionRecord } from './detections-log.js';
export { createDetector } from './detector.js';
export { iou, type Box, type Detector, type RgbImage } from './types.js';
export { drawBoxes, BOX_GREEN, type DrawOptions, type YuvColor } from './draw.js';
export { createDownscaler, planDownscale, toSourceBoxes, type DownscalePlan } from './downscale.js';
