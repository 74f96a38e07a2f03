// ffmpeg argument lists, built by pure functions so each platform's capture and the encoder's
// segmenting can be checked as arrays in tests without a camera.
import { extname } from 'node:path';
import type { Source } from '../options.js';

export interface VideoFormat {
  width: number;
  height: number;
  fps: number;
}

export interface EncoderFormat extends VideoFormat {
  /** Bits per second. */
  bitrate: number;
  segmentSeconds: number;
  /** Low-Latency HLS: cut parts of this length (whole frames) instead of whole segments. */
  partSeconds?: number | undefined;
  /** Output pattern with a `%05d` counter, e.g. `/tmp/x/p1-%05d.ts`. */
  segmentPattern: string;
  /**
   * WebRTC playback: the same encode also goes, as an H.264 Annex B stream, to fd 3 (VIDEO_PIPE_FD),
   * and is Constrained Baseline, which every browser decodes over WebRTC. Default false.
   */
  videoPipe?: boolean | undefined;
  /** H.264 profile; default `baseline` (Constrained Baseline) with `videoPipe`, else `main`. */
  profile?: 'main' | 'baseline' | undefined;
}

/** The file descriptor of the encoder's H.264 for WebRTC (`videoPipe`). */
export const VIDEO_PIPE_FD = 3;

/** Image files loop as a still picture; anything else is read as a video. */
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff']);

export function isImageFile(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** `0` -> `/dev/video0`; a path stays a path. */
export function v4l2DevicePath(device: string): string {
  return /^\d+$/.test(device) ? `/dev/video${device}` : device;
}

const COMMON = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];

/** Input arguments for a source on a platform (a dshow device must already be a name). */
export function inputArgs(source: Source, platform: NodeJS.Platform, format: VideoFormat): string[] {
  const { width, height, fps } = format;
  const size = `${width}x${height}`;
  switch (source.kind) {
    case 'test':
      // testsrc2 moves and shows a frame counter, so a frozen stream is visible at a glance.
      return ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`];
    case 'rtsp':
      // TCP avoids UDP packet loss artefacts; -timeout (µs) stops a dead camera from hanging us.
      return ['-rtsp_transport', 'tcp', '-timeout', '10000000', '-i', source.url];
    case 'file':
      // A FIFO is a live source: its frames are dated when they arrive, as a camera's are, so a
      // writer that skips or stalls frames makes the fps filter repeat frames instead of the
      // stream falling behind the wall clock (the direct pipeline dates segments by frame count).
      if (source.live) return ['-use_wallclock_as_timestamps', '1', '-i', source.path];
      return isImageFile(source.path) ? ['-re', '-loop', '1', '-framerate', String(fps), '-i', source.path] : ['-stream_loop', '-1', '-re', '-i', source.path];
    case 'device':
      return deviceArgs(source.device, platform, format);
    case 'whip':
      // A WHIP session's video as IVF on stdin (whip/ivf.ts): its header names the codec and
      // every frame keeps the sender's timestamp. Probing stops at the first frame, so it is
      // decoded as it arrives. (Not `-fflags nobuffer`: it throws away the probed packets, the
      // keyframe among them, and nothing decodes until the next one.)
      return ['-probesize', '32', '-analyzeduration', '0', '-fpsprobesize', '0', '-flags', 'low_delay', '-f', 'ivf', '-i', 'pipe:0'];
  }
}

function deviceArgs(device: string, platform: NodeJS.Platform, { width, height, fps }: VideoFormat): string[] {
  const common = ['-framerate', String(fps), '-video_size', `${width}x${height}`];
  switch (platform) {
    case 'darwin':
      // "<video>:none" picks a camera by index or name and no audio device.
      return ['-f', 'avfoundation', ...common, '-i', `${device}:none`];
    case 'win32':
      return ['-f', 'dshow', ...common, '-i', `video=${device}`];
    default:
      return ['-f', 'v4l2', ...common, '-i', v4l2DevicePath(device)];
  }
}

/** The capture process: any source to raw yuv420p frames of exactly the asked size and rate on stdout. */
export function captureArgs(source: Source, platform: NodeJS.Platform, format: VideoFormat): string[] {
  return [
    ...COMMON,
    ...inputArgs(source, platform, format),
    '-an',
    // scale and fps make every source (odd camera modes, files) match the encoder's raw input.
    '-vf',
    `${source.kind === 'whip' ? fitFilter(format) : `scale=${format.width}:${format.height}`},fps=${format.fps}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    'pipe:1',
  ];
}

/**
 * A browser's picture changes size and shape mid-stream (a phone rotates, the sender lowers its
 * resolution on a slow link): it is fitted into the frame without stretching, with black bars,
 * so faces keep their shape for detection.
 */
function fitFilter({ width, height }: VideoFormat): string {
  return `scale=${width}:${height}:force_original_aspect_ratio=decrease:force_divisible_by=2,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`;
}

/**
 * The encoder: raw frames on stdin -> H.264 -> MPEG-TS segments in a folder, with the csv
 * segment list (`name,start,end` per finished segment) on stdout. Timestamps are frame counts
 * (`-r`), so a segment's start times fps is the index of its first frame.
 */
export function encoderArgs(format: EncoderFormat): string[] {
  const { width, height, fps } = format;
  return [...COMMON, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0', ...encodeSegmentArgs(format)];
}

/**
 * Capture, encode and segment in one ffmpeg, for when no frame stage needs the raw frames
 * (detection and the MJPEG preview both off): the capture's input and scale/fps filter, then the
 * encoder's very x264 and segment settings. Saves piping every raw frame through Node and back.
 * `-progress pipe:2` reports the frames encoded (on stderr, between the error lines).
 */
export function directArgs(source: Source, platform: NodeJS.Platform, format: EncoderFormat): string[] {
  return [
    ...COMMON,
    '-progress',
    'pipe:2',
    ...inputArgs(source, platform, format),
    '-an',
    '-vf',
    `scale=${format.width}:${format.height},fps=${format.fps}`,
    ...encodeSegmentArgs(format),
  ];
}

/** x264 and the segment muxer, shared by the piped encoder and the direct pipeline. */
function encodeSegmentArgs(format: EncoderFormat): string[] {
  const { fps, bitrate, segmentSeconds, partSeconds } = format;
  const gop = Math.max(1, Math.round(fps * segmentSeconds));
  // With parts the muxer cuts every part, keyframe or not; keyframes stay at segment starts only.
  // One mpegts muxer for all parts (continuity counters run on, so a segment made of its parts
  // concatenated is clean MPEG-TS), with PAT/PMT written again at the start of every part. Without
  // a trailer per file the muxer lists a part before its last buffered bytes reach the disk;
  // flush_packets writes each packet through, so a listed part is whole.
  const cut =
    partSeconds === undefined
      ? [String(segmentSeconds)]
      : [
          formatSeconds(partSeconds),
          '-break_non_keyframes',
          '1',
          '-individual_header_trailer',
          '0',
          '-segment_format_options',
          'mpegts_flags=+resend_headers:flush_packets=1',
        ];
  const encode = [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    // Main profile plays on every Safari and hls.js target. Constrained Baseline plays there too
    // and is what browsers decode over WebRTC (Firefox's OpenH264 decodes nothing else); it costs
    // HLS some bitrate at equal quality (no CABAC): see docs/PERFORMANCE.md, "WebRTC".
    '-profile:v',
    format.profile ?? (format.videoPipe ? 'baseline' : 'main'),
    '-pix_fmt',
    'yuv420p',
    '-b:v',
    String(bitrate),
    '-maxrate',
    String(bitrate),
    '-bufsize',
    String(bitrate * 2),
    // A keyframe exactly at every segment start and no scene-cut keyframes in between,
    // so the segment muxer cuts at segmentSeconds and every segment starts independently.
    '-force_key_frames',
    `expr:gte(t,n_forced*${segmentSeconds})`,
    '-g',
    String(gop),
    '-sc_threshold',
    '0',
  ];
  const segment = ['-f', 'segment', '-segment_time', ...cut, '-segment_format', 'mpegts', '-segment_list', 'pipe:1', '-segment_list_type', 'csv'];
  if (!format.videoPipe) return [...encode, ...segment, format.segmentPattern];
  // One encode, two outputs: the tee muxer gives the segment muxer and a raw H.264 pipe the same
  // packets. A failing pipe is dropped (onfail=ignore) and never takes HLS down with it. A tee
  // output does not inherit the command line's default mux delay (0.7 s), so it is given it: the
  // segments are then byte for byte those of the same encode without the tee.
  const slave = teeSlave([...segment.slice(0, 2), '-max_delay', '700000', ...segment.slice(2)]);
  return [...encode, '-map', '0:v', '-f', 'tee', `${slave}${teeEscape(format.segmentPattern)}|[f=h264:onfail=ignore]pipe:${VIDEO_PIPE_FD}`];
}

/** `-f segment -segment_time 2 ...` -> `[f=segment:segment_time=2:...]`, values escaped for both levels of the tee syntax. */
function teeSlave(args: readonly string[]): string {
  const options: string[] = [];
  for (let i = 0; i < args.length; i += 2) options.push(`${args[i]!.slice(1)}=${args[i + 1]!.replace(/[\\:|[\]]/g, (c) => `\\\\${c}`)}`);
  return `[${options.join(':')}]`;
}

/** A tee output's file name is unescaped once (the `|` level). */
function teeEscape(path: string): string {
  return path.replace(/[\\|[\]]/g, (c) => `\\${c}`);
}

/** Six decimals: ffmpeg reads durations in microseconds, and 1/3 s must not print as 0.3333333333333333. */
function formatSeconds(seconds: number): string {
  return String(Number(seconds.toFixed(6)));
}

/** Arguments that make ffmpeg print the cameras it sees (on stderr), for avfoundation and dshow. */
export function listDevicesArgs(platform: NodeJS.Platform): string[] | undefined {
  if (platform === 'darwin') return ['-hide_banner', '-f', 'avfoundation', '-list_devices', 'true', '-i', ''];
  if (platform === 'win32') return ['-hide_banner', '-f', 'dshow', '-list_devices', 'true', '-i', 'dummy'];
  return undefined;
}
