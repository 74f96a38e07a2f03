// The frame stage: the one place in the pipeline where TypeScript sees every raw frame between
// capture and encoder. Face detection (a later issue) is a stage that draws into `frame.data`.

/** One raw yuv420p frame. The buffer belongs to the pipeline's ring: a stage may change it in
 * place during `process`, but must copy what it wants to keep, because the buffer is reused. */
export interface Frame {
  /** yuv420p planes (Y, then U, then V), width * height * 3 / 2 bytes. */
  data: Buffer;
  width: number;
  height: number;
  /** 0-based index of the frame since the publisher started (capture restarts keep counting). */
  index: number;
  /** Wall clock (ms since the epoch) when the frame's last byte arrived from capture. */
  captureTime: number;
}

export interface StreamInfo {
  width: number;
  height: number;
  fps: number;
}

export interface FrameStage {
  readonly name: string;
  /**
   * Whether the stage must see the raw frames. False lets the publisher run its direct pipeline
   * (one ffmpeg, no frame through Node); `process` is then never called. Default true.
   */
  readonly needsFrames?: boolean;
  start(info: StreamInfo): Promise<void>;
  /** Called for every frame, in order, before it goes to the encoder. Must not block for long:
   * the frame loop runs at the capture rate, so slow work belongs in a worker. */
  process(frame: Frame): void;
  stop(): Promise<void>;
}

/** The pipeline mode follows from this: piped when the stage needs frames, direct otherwise. */
export function needsFrames(stage: FrameStage): boolean {
  return stage.needsFrames ?? true;
}

/** Changes nothing, so needs no frames: a publisher with it runs the direct pipeline. */
export function createIdentityStage(): FrameStage {
  return {
    name: 'identity',
    needsFrames: false,
    async start() {},
    process() {},
    async stop() {},
  };
}

export function frameBytes(width: number, height: number): number {
  return (width * height * 3) / 2;
}
