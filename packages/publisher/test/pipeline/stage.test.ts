// The pipeline mode follows from what the stages need (publisher.ts): these are the stages the CLI builds.
import { describe, expect, it } from 'vitest';
import { createDetectStage } from '../../src/detect/index.js';
import { createMjpegTap, withMjpegTap } from '../../src/mjpeg/index.js';
import { createIdentityStage, needsFrames, type FrameStage } from '../../src/pipeline/stage.js';

const tap = (enabled: boolean) => createMjpegTap({ streamer: 'http://127.0.0.1:9', enabled });

describe('needsFrames', () => {
  it('is true for a stage that does not say (it gets the frames)', () => {
    const custom: FrameStage = { name: 'custom', async start() {}, process() {}, async stop() {} };
    expect(needsFrames(custom)).toBe(true);
  });

  it.each([
    ['detection and preview off', () => withMjpegTap(createIdentityStage(), tap(false)), false],
    ['preview on', () => withMjpegTap(createIdentityStage(), tap(true)), true],
    ['detection on', () => withMjpegTap(createDetectStage({ detector: 'blazeface' }), tap(false)), true],
  ])('%s: %s', (_what, stage, expected) => {
    expect(needsFrames(stage())).toBe(expected);
  });
});
