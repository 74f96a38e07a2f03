// A thin wrapper around one ffmpeg child: tied to an AbortController, stopped with a polite
// request then SIGKILL after a delay, and killed by an exit hook if the parent goes first,
// so no ffmpeg ever outlives the publisher.
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { FfmpegExitError } from '../errors.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface FfmpegProcess {
  readonly pid: number | undefined;
  readonly role: string;
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  /** The encoder's H.264 for WebRTC on fd 3 (`videoPipe`); undefined without it. */
  readonly video: Readable | undefined;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** The last few KiB of stderr. */
  stderrTail(): string;
  /** True once `stop()` or `kill()` asked it to go, so an exit is expected. */
  readonly stopping: boolean;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Asks ffmpeg to finish (close stdin or SIGTERM), then SIGKILL after `graceMs`. */
  stop(how?: 'stdin' | 'signal', graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL now. */
  kill(): void;
  /** An error describing an exit, for exits nobody asked for. */
  exitError(info: ExitInfo): FfmpegExitError;
}

export interface SpawnFfmpegOptions {
  path: string;
  args: string[];
  /** What the process is for, in logs and errors (`capture`, `encoder`). */
  role: string;
  /** Whether the parent writes to its stdin. */
  stdin?: boolean;
  /** A fourth pipe, fd 3, that ffmpeg writes (the encoder's H.264 for WebRTC: args.ts VIDEO_PIPE_FD). */
  videoPipe?: boolean;
  /** Bytes of stderr kept for error messages. */
  stderrLimit?: number;
  /** With `-progress pipe:2`: each `key=value` progress line goes here and stays out of the tail. */
  onProgress?: (key: string, value: string) => void;
}

const DEFAULT_STDERR_LIMIT = 4096;

const SETPRIV = '/usr/bin/setpriv';

// Exit hooks cannot run when we are killed with SIGKILL, and an ffmpeg that reads no pipe from us
// (a file or test source, segments to disk) would run on. On Linux util-linux's setpriv asks the
// kernel to SIGKILL ffmpeg when we die, then execs it (same pid), so nothing outlives us.
// A missing binary is spawned as is, so it fails as ENOENT rather than as setpriv's exit 127.
export function ffmpegCommand(path: string, args: readonly string[], platform = process.platform, hasSetpriv = existsSync(SETPRIV)): [string, string[]] {
  const targetExists = !isAbsolute(path) || existsSync(path);
  if (platform === 'linux' && hasSetpriv && targetExists) return [SETPRIV, ['--pdeathsig', 'KILL', '--', path, ...args]];
  return [path, [...args]];
}

export function spawnFfmpeg(options: SpawnFfmpegOptions): FfmpegProcess {
  const controller = new AbortController();
  const [file, args] = ffmpegCommand(options.path, options.args);
  const child: ChildProcess = spawn(file, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.videoPipe ? ['pipe' as const] : [])],
    signal: controller.signal,
    killSignal: 'SIGTERM',
    windowsHide: true,
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop ffmpeg in order
    // (capture first, then the encoder flushes its last segment) instead of all at once.
    detached: process.platform !== 'win32',
  });
  const limit = options.stderrLimit ?? DEFAULT_STDERR_LIMIT;
  let tail = '';
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;

  // The tail is trimmed on every chunk, so a chatty ffmpeg never grows memory.
  child.stderr!.setEncoding('utf8');
  let partial = '';
  const { onProgress } = options;
  child.stderr!.on('data', (chunk: string) => {
    if (!onProgress) {
      tail = (tail + chunk).slice(-limit);
      return;
    }
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!.slice(-limit);
    for (const line of lines) {
      const m = /^(\w+)=(.*)$/.exec(line);
      if (m) onProgress(m[1]!, m[2]!.trim());
      else tail = `${tail}${line}\n`.slice(-limit);
    }
  });
  // Writes after ffmpeg died fail with EPIPE; the exit is reported through `exited` instead.
  child.stdin?.on('error', () => {});

  const onParentExit = () => {
    child.kill('SIGKILL');
  };
  process.on('exit', onParentExit);

  const exited = new Promise<ExitInfo>((resolve) => {
    let done = false;
    const finish = (info: ExitInfo) => {
      if (done) return;
      done = true;
      clearTimeout(killTimer);
      process.off('exit', onParentExit);
      resolve(info);
    };
    child.once('exit', (code, signal) => finish({ code, signal }));
    // spawn failures (ENOENT) and abort errors arrive here; 'exit' may never follow a failed spawn.
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.name === 'AbortError') return;
      tail = `${tail}${error.message}\n`.slice(-limit);
      if (child.pid === undefined) finish({ code: -1, signal: null });
    });
  });

  const isRunning = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;

  const kill = () => {
    stopping = true;
    if (isRunning()) child.kill('SIGKILL');
  };

  return {
    pid: child.pid,
    role: options.role,
    stdin: child.stdin,
    stdout: child.stdout!,
    video: options.videoPipe ? (child.stdio[3] as Readable) : undefined,
    exited,
    get stopping() {
      return stopping;
    },
    get running() {
      return isRunning();
    },
    stderrTail: () => tail + partial,
    stop(how = 'signal', graceMs = 3000) {
      stopping = true;
      if (isRunning()) {
        if (how === 'stdin' && child.stdin && !child.stdin.destroyed) child.stdin.end();
        else controller.abort();
        killTimer ??= setTimeout(kill, graceMs);
      }
      return exited;
    },
    kill,
    exitError: (info) => new FfmpegExitError(options.role, info.code, info.signal, tail),
  };
}
