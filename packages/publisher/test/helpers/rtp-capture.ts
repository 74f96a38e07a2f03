// Real RTP packets for depacketizer tests: ffmpeg's RTP muxer sends a media file to a UDP socket
// on 127.0.0.1 and the datagrams are collected in order of arrival.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function captureRtp(input: string[], payloadType: number): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (message) => packets.push(message));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  const { port } = socket.address() as AddressInfo;
  try {
    await run('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      ...input,
      '-an',
      '-c:v',
      'copy',
      '-f',
      'rtp',
      '-payload_type',
      String(payloadType),
      `rtp://127.0.0.1:${port}?pkt_size=1200&rtcpport=${port}`,
    ]);
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    socket.close();
  }
  // RTCP sender reports arrive on the same port: keep RTP only.
  return packets.filter((p) => !(p[1]! >= 192 && p[1]! <= 223));
}
