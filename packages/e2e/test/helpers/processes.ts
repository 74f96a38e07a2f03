import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const publisherBin = fileURLToPath(new URL('../../../publisher/bin/hls-publish.js', import.meta.url));
const streamerBin = fileURLToPath(new URL('../../../streamer/bin/hls-streamer.js', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnNode(bin: string, args: string[]): Spawned {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => text, exited };
}

export function startPublisher(streamerUrl: string, extra: string[] = []): Spawned {
  return spawnNode(publisherBin, ['--streamer', streamerUrl, '--log-level', 'warn', ...extra]);
}

export function startStreamerProcess(args: string[]): Spawned {
  return spawnNode(streamerBin, args);
}

/** Every descendant of `pid`, found through /proc via ps, so a test can prove none outlives it. */
export function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const line of out.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function stopAll(...spawned: (Spawned | undefined)[]): Promise<void> {
  await Promise.all(
    spawned.map(async (s) => {
      if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
      s.child.kill('SIGKILL');
      await s.exited;
    }),
  );
}
