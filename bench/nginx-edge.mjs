// A real nginx edge (the distribution's package) running deploy/nginx/hls-edge.conf.template,
// rendered the way the official nginx image renders /etc/nginx/templates: envsubst told exactly
// which variables to replace, so nginx's own `$request_uri` and friends survive. Unprivileged:
// its own prefix folder, a free loopback port, `daemon off`, stopped (master and workers) by
// `stop()`. Shared by the e2e edge tests (packages/e2e/test/helpers/nginx.ts) and bench/edge.mjs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// HLS_EDGE_TEMPLATE: another template (a mutated copy, to see a test fail without a directive).
export const TEMPLATE = process.env.HLS_EDGE_TEMPLATE ?? fileURLToPath(new URL('../deploy/nginx/hls-edge.conf.template', import.meta.url));
export const NGINX = process.env.NGINX_PATH ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The template rendered by envsubst with only HLS_ORIGIN and EDGE_PORT, like the image's 20-envsubst-on-templates.sh. */
export function renderTemplate(origin, edgePort) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: envsubst's own ${NAME} syntax, the variables it may replace.
  return execFileSync('envsubst', ['${HLS_ORIGIN} ${EDGE_PORT}'], {
    input: readFileSync(TEMPLATE, 'utf8'),
    env: { PATH: process.env.PATH, HLS_ORIGIN: origin, EDGE_PORT: edgePort },
    encoding: 'utf8',
  });
}

function mainConfig(dir, workers, accessLog) {
  return `worker_processes ${workers};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
worker_rlimit_nofile 16384;
http {
  log_format edge '$status $upstream_cache_status "$upstream_addr" "$request_uri"';
  access_log ${accessLog ? `${dir}/access.log edge` : 'off'};
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/hls-edge.conf;
}
`;
}

function parseLog(text) {
  const lines = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+) "([^"]*)" "([^"]*)"$/.exec(line);
    if (m) lines.push({ status: Number(m[1]), cache: m[2], upstream: m[3], uri: m[4] });
  }
  return lines;
}

/** Starts an edge in front of `origin` (host:port); resolves once it answers. */
export async function startEdge(origin, { workers = 1, accessLog = true } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'edge-'));
  // Workers of a root master run as nobody: they must reach the cache and temp folders here.
  await chmod(dir, 0o755);
  const port = await freePort();
  await writeFile(join(dir, 'hls-edge.conf'), renderTemplate(origin, `127.0.0.1:${port}`));
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, mainConfig(dir, workers, accessLog));
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  const exited = new Promise((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const edge = {
    url,
    port,
    dir,
    child,
    log: () => parseLog(existsSync(join(dir, 'access.log')) ? readFileSync(join(dir, 'access.log'), 'utf8') : ''),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        // Fast shutdown: the master ends its workers, then exits.
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      const log = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
      await edge.stop();
      throw new Error(`nginx exited with ${child.exitCode}: ${output}${log}`);
    }
    const res = await fetch(`${url}/healthz`).catch(() => undefined);
    if (res) {
      await res.arrayBuffer();
      return edge;
    }
    if (Date.now() > deadline) {
      await edge.stop();
      throw new Error(`nginx did not answer on ${url}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
