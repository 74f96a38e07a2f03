#!/usr/bin/env node
// Serving: the streamer against nginx on the same loopback, the same segment bytes and a static
// copy of the same playlist, while a real publisher is live into the streamer. wrk drives both;
// the servers alternate (streamer first in odd rounds, nginx first in even ones) and each cell
// is the median of the rounds. Uses the built packages: run `pnpm -r build` first.
//   node bench/serving.mjs [--quick] [--profile]   (--profile: streamer under --cpu-prof)
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  get,
  load,
  median,
  quick,
  resultsDir,
  round,
  saveResult,
  segmentNames,
  sleep,
  startPublisher,
  startStreamer,
  stop,
  waitForSegments,
  wrk,
} from './lib.mjs';

const profile = process.argv.includes('--profile');
const seconds = quick ? 3 : 10;
const rounds = quick ? 1 : 3;
const CONNECTIONS = [1, 50, 200];
const VARIANTS = [
  { name: 'playlist', headers: [] },
  { name: 'playlist-gzip', headers: ['Accept-Encoding: gzip'] },
  { name: 'segment', headers: [] },
];

function nginxConfig(dir, www, port) {
  return `daemon off;
master_process on;
worker_processes auto;
user root;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  access_log off;
  # Node keeps a connection for any number of requests; nginx's default (1000) would make wrk reconnect.
  keepalive_requests 1000000;
  gzip on;
  gzip_types application/vnd.apple.mpegurl;
  gzip_min_length 0;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${www};
  }
}
`;
}

async function startNginx(dir, www) {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, www, port));
  const child = spawn('/usr/sbin/nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if ((await get(`${url}/stream.m3u8`).catch(() => undefined))?.status === 200) return { child, url };
    await sleep(100);
  }
  throw new Error('nginx did not start');
}

const dir = await mkdtemp(join(tmpdir(), 'bench-serving-'));
const www = join(dir, 'www');
await mkdir(join(www, 'segments'), { recursive: true });
let streamer;
let publisher;
let nginx;
try {
  const profileDir = join(resultsDir, 'profiles');
  streamer = await startStreamer([], { mediaDir: join(dir, 'media'), nodeArgs: profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [] });
  publisher = await startPublisher(streamer.url, ['--input', 'test', '--detector', 'off']);
  await writeFile(join(www, 'stream.m3u8'), await waitForSegments(streamer.url, 3));
  nginx = await startNginx(dir, www);

  // Copies what the streamer serves right now to nginx's folder; returns the paths to load.
  const snapshot = async () => {
    const playlist = (await get(`${streamer.url}/stream.m3u8`)).body;
    await writeFile(join(www, 'stream.m3u8'), playlist);
    const uri = segmentNames(playlist.toString()).at(-1);
    const segment = await get(`${streamer.url}/${uri}`);
    if (segment.status !== 200) throw new Error(`segment ${uri}: ${segment.status}`);
    await mkdir(join(www, uri, '..'), { recursive: true });
    await writeFile(join(www, uri), segment.body);
    return { playlist: '/stream.m3u8', segment: `/${uri}`, playlistBytes: playlist.length, segmentBytes: segment.body.length };
  };

  const runs = [];
  for (let r = 0; r < rounds; r++) {
    for (const connections of CONNECTIONS) {
      for (const variant of VARIANTS) {
        const paths = await snapshot();
        const path = variant.name === 'segment' ? paths.segment : paths.playlist;
        const servers =
          r % 2 === 0
            ? [
                ['streamer', streamer.url],
                ['nginx', nginx.url],
              ]
            : [
                ['nginx', nginx.url],
                ['streamer', streamer.url],
              ];
        for (const [server, base] of servers) {
          const loadBefore = load();
          const result = await wrk(`${base}${path}`, { connections, seconds, headers: variant.headers });
          const run = {
            round: r + 1,
            variant: variant.name,
            connections,
            server,
            bytes: variant.name === 'segment' ? paths.segmentBytes : paths.playlistBytes,
            loadBefore,
            loadAfter: load(),
            ...result,
          };
          runs.push(run);
          console.log(
            `[serving] r${run.round} ${variant.name.padEnd(13)} c=${String(connections).padEnd(3)} ${server.padEnd(8)} ${String(run.requestsPerSecond).padStart(9)} req/s ${String(run.mbPerSecond).padStart(8)} MB/s p50 ${run.p50Ms} ms p99 ${run.p99Ms} ms load ${run.loadAfter[0]}`,
          );
        }
      }
    }
  }

  const summary = [];
  for (const variant of VARIANTS) {
    for (const connections of CONNECTIONS) {
      const cell = (server, key) =>
        median(runs.filter((x) => x.variant === variant.name && x.connections === connections && x.server === server).map((x) => x[key]));
      const row = { variant: variant.name, connections };
      for (const server of ['streamer', 'nginx']) {
        row[server] = {
          requestsPerSecond: round(cell(server, 'requestsPerSecond'), 0),
          mbPerSecond: round(cell(server, 'mbPerSecond'), 1),
          p50Ms: round(cell(server, 'p50Ms'), 3),
          p99Ms: round(cell(server, 'p99Ms'), 3),
        };
      }
      const key = variant.name === 'segment' ? 'mbPerSecond' : 'requestsPerSecond';
      row.metric = key;
      row.ratio = round(row.streamer[key] / row.nginx[key], 2);
      row.errors = runs.filter((x) => x.variant === variant.name && x.connections === connections).reduce((a, x) => a + x.non2xx + x.socketErrors, 0);
      summary.push(row);
    }
  }
  console.table(
    summary.map((row) => ({
      variant: row.variant,
      c: row.connections,
      streamer: row.streamer[row.metric],
      nginx: row.nginx[row.metric],
      unit: row.metric === 'mbPerSecond' ? 'MB/s' : 'req/s',
      ratio: row.ratio,
      'p99 s/n ms': `${row.streamer.p99Ms}/${row.nginx.p99Ms}`,
    })),
  );
  await saveResult('serving', {
    what: 'wrk against the streamer (live publisher, --input test) and nginx (static copy of the same playlist and segment), medians over rounds',
    command: `node bench/serving.mjs${quick ? ' --quick' : ''}`,
    settings: {
      seconds,
      rounds,
      threads: 2,
      connections: CONNECTIONS,
      variants: VARIANTS,
      nginx: 'worker_processes auto; sendfile on; tcp_nopush on; gzip on (dynamic) for m3u8; keepalive_requests 1000000',
    },
    targets: { ratio: 0.5, aim: 0.8 },
    load: { end: load() },
    summary,
    runs,
  });
} finally {
  await stop(publisher?.child);
  await stop(streamer?.child);
  await stop(nginx?.child);
  await rm(dir, { recursive: true, force: true });
}
