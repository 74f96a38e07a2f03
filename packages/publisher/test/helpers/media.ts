import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Whole 188-byte packets, each starting with the 0x47 sync byte. */
export function isMpegTs(body: Buffer): boolean {
  if (body.length === 0 || body.length % 188 !== 0) return false;
  for (let i = 0; i < body.length; i += 188) if (body[i] !== 0x47) return false;
  return true;
}

export interface Probe {
  codec: string;
  profile: string;
  width: number;
  height: number;
  /** Video packets divided by the frame rate. */
  seconds: number;
}

export async function probeFile(path: string, body?: Buffer): Promise<Probe> {
  if (body) await writeFile(path, body);
  const { stdout } = await run('ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-count_packets',
    '-show_entries',
    'stream=codec_name,profile,width,height,nb_read_packets,r_frame_rate',
    '-of',
    'json',
    path,
  ]);
  const stream = JSON.parse(stdout).streams[0];
  const [num, den] = String(stream.r_frame_rate).split('/').map(Number) as [number, number];
  return {
    codec: stream.codec_name,
    profile: stream.profile,
    width: stream.width,
    height: stream.height,
    seconds: Number(stream.nb_read_packets) / (num / den),
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
