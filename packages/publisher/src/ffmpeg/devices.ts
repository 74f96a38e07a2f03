// Cameras: listing them for `--list-devices`, and checking the one asked for before capture
// starts, so a missing camera is one clear line instead of an ffmpeg error dump.
import { execFile } from 'node:child_process';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { DeviceNotFoundError, OptionError } from '../errors.js';
import type { Source } from '../options.js';
import { listDevicesArgs, v4l2DevicePath } from './args.js';

export interface Camera {
  /** What to pass to `--device`. */
  id: string;
  name: string;
}

/** Parses `ffmpeg -f avfoundation -list_devices true` output: the video section's `[n] Name` lines. */
export function parseAvfoundationList(stderr: string): Camera[] {
  const cameras: Camera[] = [];
  let inVideo = false;
  for (const line of stderr.split('\n')) {
    if (/AVFoundation video devices/.test(line)) inVideo = true;
    else if (/AVFoundation audio devices/.test(line)) inVideo = false;
    else if (inVideo) {
      const m = /\]\s*\[(\d+)\]\s*(.+?)\s*$/.exec(line);
      if (m) cameras.push({ id: m[1]!, name: m[2]! });
    }
  }
  return cameras;
}

/** Parses `ffmpeg -f dshow -list_devices true` output, in both the ffmpeg 4 and 5+ layouts. */
export function parseDshowList(stderr: string): Camera[] {
  const names: string[] = [];
  let section: 'video' | 'audio' | undefined;
  for (const line of stderr.split('\n')) {
    if (/DirectShow video devices/.test(line)) section = 'video';
    else if (/DirectShow audio devices/.test(line)) section = 'audio';
    else if (/Alternative name/.test(line)) continue;
    else {
      const m = /\]\s*"(.+)"\s*(\((video|audio|none)\))?\s*$/.exec(line);
      if (!m) continue;
      const kind = m[3] ?? section;
      if (kind === 'video') names.push(m[1]!);
    }
  }
  return names.map((name, i) => ({ id: String(i), name }));
}

export interface DeviceEnv {
  ffmpegPath: string;
  platform: NodeJS.Platform;
}

function ffmpegListing(ffmpegPath: string, args: string[]): Promise<string> {
  // Listing always "fails" (there is no real input), so the text is read from stderr either way.
  return new Promise((resolve) => {
    execFile(ffmpegPath, args, { timeout: 10_000, windowsHide: true }, (_error, _stdout, stderr) => resolve(String(stderr)));
  });
}

async function listV4l2(): Promise<Camera[]> {
  let entries: string[] = [];
  try {
    entries = await readdir('/dev');
  } catch {
    return [];
  }
  const nodes = entries.filter((e) => /^video\d+$/.test(e)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return Promise.all(
    nodes.map(async (node) => {
      const name = await readFile(`/sys/class/video4linux/${node}/name`, 'utf8').then(
        (s) => s.trim(),
        () => node,
      );
      return { id: node.slice(5), name: `${name} (/dev/${node})` };
    }),
  );
}

export async function listCameras(env: DeviceEnv): Promise<Camera[]> {
  const args = listDevicesArgs(env.platform);
  if (!args) return listV4l2();
  const text = await ffmpegListing(env.ffmpegPath, args);
  return env.platform === 'darwin' ? parseAvfoundationList(text) : parseDshowList(text);
}

/**
 * Resolves `--device` to what the platform's input wants, or throws DeviceNotFoundError:
 * on Linux the device node must exist; on Windows an index is mapped to its dshow name.
 * On macOS avfoundation takes the index as is and a missing one fails when capture starts.
 */
export async function resolveDevice(device: string, env: DeviceEnv): Promise<string> {
  if (env.platform === 'win32') {
    if (!/^\d+$/.test(device)) return device;
    const camera = (await listCameras(env))[Number(device)];
    if (!camera) throw new DeviceNotFoundError(device);
    return camera.name;
  }
  if (env.platform === 'darwin') return device;
  const path = v4l2DevicePath(device);
  try {
    await access(path);
  } catch {
    throw new DeviceNotFoundError(path);
  }
  return path;
}

/** Checks a source before any ffmpeg starts: the camera exists, the input file is there. */
export async function resolveSource(source: Source, env: DeviceEnv): Promise<Source> {
  if (source.kind === 'device') return { kind: 'device', device: await resolveDevice(source.device, env) };
  if (source.kind === 'file') {
    const info = await stat(source.path).catch(() => {
      throw new OptionError('--input', '`test`, an rtsp:// URL or an existing file', source.path);
    });
    if (info.isFIFO()) return { ...source, live: true };
  }
  return source;
}
