// The JPEG encoder's ffmpeg arguments, pure: raw yuv420p frames on stdin, one JPEG per frame on stdout.

export interface JpegEncoderFormat {
  /** Size of the raw frames written to stdin. */
  width: number;
  height: number;
  /** JPEG size; the frame size when left out. */
  outWidth?: number;
  outHeight?: number;
  /** `-q:v`, 2..31. */
  quality: number;
}

export function jpegEncoderArgs(format: JpegEncoderFormat): string[] {
  const { width, height, quality } = format;
  const outWidth = format.outWidth ?? width;
  const outHeight = format.outHeight ?? height;
  const scale = outWidth !== width || outHeight !== height ? ['-vf', `scale=${outWidth}:${outHeight}`] : [];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-s',
    `${width}x${height}`,
    '-i',
    'pipe:0',
    ...scale,
    // One thread: mjpeg's frame threads would hold each JPEG back until the next frame arrives.
    '-threads',
    '1',
    '-c:v',
    'mjpeg',
    '-q:v',
    String(quality),
    '-f',
    'image2pipe',
    'pipe:1',
  ];
}
