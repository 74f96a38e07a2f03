// Thousands of hostile publish requests against a real streamer. Every request is built to be
// invalid in at least one way, so every answer must be a 4xx with a JSON error; afterwards the
// server is up, the playlist and media folder are as before, and nothing was written anywhere
// else. The PRNG is seeded (FUZZ_SEED) so a failure replays exactly.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { listFiles, playlistText, publish, startServer, type TestServer } from '../helpers/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240501);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2500);
const TOKEN = 'fuzz-token';
const MAX = 256 * 1024;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case { path: string; headers: Record<string, string>; body: Buffer }

function generator(seed: number, segment: Buffer) {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const randomText = (n: number) => Array.from({ length: n }, () => String.fromCodePoint(pick([int(128), 0x80 + int(0x780), 0x4e00 + int(100), 0x1f600 + int(50)]))).join('');

  const goodName = () => `cam-${int(1e6)}.ts`;
  const badNames = [
    () => '..', () => '../x.ts', () => '..%2fx.ts', () => '%2e%2e%2fx.ts', () => '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd.ts', () => 'a%00.ts',
    () => '%00', () => '.hidden.ts', () => 'x..ts', () => 'a%2fb.ts', () => 'a%5cb.ts', () => `${'a'.repeat(129 + int(3000))}.ts`,
    () => 'noext', () => 'x.TS.exe', () => encodeURIComponent(randomText(1 + int(20))), () => '%zz.ts', () => '%', () => 'window-state.json',
    () => encodeURIComponent(`${randomText(3)}.ts`), () => '', () => 'a b.ts'.replace(' ', '%20'), () => '%C0%AE%C0%AE%2Fx.ts',
  ];
  const goodDuration = () => (0.1 + rnd() * 0.9).toFixed(3);
  const badDurations = ['NaN', '1e309', '-0', '0', '-1', '0x10', '1e3', 'Infinity', '31', '30.0000000001', '', '1.', '.5', '1,5', '%31', '1/2', '9'.repeat(400), '%201', '1%00'];
  const tokenHeaders = (): Record<string, string> => ({ Authorization: `Bearer ${TOKEN}` });
  const badTokens = [
    (): Record<string, string> => ({}),
    () => ({ Authorization: 'Bearer' }), () => ({ Authorization: `Bearer ${TOKEN}x` }), () => ({ Authorization: `Basic ${TOKEN}` }),
    () => ({ Authorization: `Bearer ${'x'.repeat(4000)}` }), () => ({ Authorization: `Bearer ${TOKEN.slice(0, -1)}` }), () => ({ Authorization: 'bearer  ' }),
  ];
  const badHeaders: Record<string, string>[] = [
    { 'X-Publisher-Session': '../../etc' }, { 'X-Publisher-Session': 'x'.repeat(65) }, { 'X-Program-Date-Time': 'yesterday' },
    { 'X-Program-Date-Time': '2024-13-45T99:99:99Z' }, { 'X-Target-Duration': '0' }, { 'X-Target-Duration': '1e1' }, { 'X-Target-Duration': '-5' },
  ];
  // Bodies that can never be a valid segment.
  const badBodies = [
    () => Buffer.alloc(0),
    () => bytes(1 + int(4000)),
    () => segment.subarray(0, 188 * (1 + int(3)) + 1 + int(187)),
    () => Buffer.concat([segment.subarray(0, 188), bytes(1 + int(500))]),
    () => {
      // A sync byte on the first packet only.
      const b = Buffer.alloc(188 * (2 + int(20)));
      b[0] = 0x47;
      return b;
    },
    () => Buffer.alloc(MAX + 1 + int(MAX), 0x47),
  ];

  return (): Case => {
    const broken = new Set(Array.from({ length: 1 + int(2) }, () => pick(['name', 'duration', 'token', 'header', 'body'] as const)));
    const name = broken.has('name') ? pick(badNames)() : goodName();
    const duration = broken.has('duration') ? pick(badDurations) : goodDuration();
    const headers: Record<string, string> = {
      'Content-Type': pick(['video/mp2t', 'text/html', 'application/json']),
      'X-Publisher-Session': 'fuzz',
      ...(broken.has('token') ? pick(badTokens)() : tokenHeaders()),
      ...(broken.has('header') ? pick(badHeaders) : {}),
    };
    const body = broken.has('body') ? pick(badBodies)() : segment;
    const path = pick([`/publish/${name}/${duration}`, `/publish/${name}`, `/publish/${name}/${duration}/extra`, `/publish//${duration}`]);
    // A good body on an otherwise good request would be accepted: the path shapes above do not all break it.
    if (!broken.has('body') && ['name', 'duration', 'token', 'header'].every((k) => !broken.has(k as never))) broken.add('body');
    return { path, headers, body: broken.has('body') && body === segment ? pick(badBodies)() : body };
  };
}

function send(port: number, c: Case): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: c.path, headers: { ...c.headers, 'Content-Length': String(c.body.length) }, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    // A refused large body may be cut off mid-send; the answer already came.
    req.on('error', (error) => !answered && reject(error));
    req.end(c.body);
  });
}

let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;
let segment: Buffer;

beforeAll(async () => {
  tmp = await tempDir();
  segment = await makeSegment(tmp.path);
  server = await startServer({ publishToken: TOKEN, maxSegmentBytes: MAX, maxUploads: 1000 });
  for (const name of ['seed-0.ts', 'seed-1.ts']) {
    expect((await publish(server.port, { name, duration: 0.2, body: segment, token: TOKEN, session: 'fuzz' })).status).toBe(201);
  }
});
afterAll(async () => {
  await server?.close();
  await tmp?.remove();
});

describe(`publish fuzz (seed ${SEED}, ${COUNT} requests)`, () => {
  it('answers every hostile request with a 4xx JSON error and changes nothing', async () => {
    const playlist = await playlistText(server.port);
    const tree = await listFiles(server.root);
    const next = generator(SEED, segment);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i += 8) {
      const batch = Array.from({ length: Math.min(8, COUNT - i) }, () => next());
      const answers = await Promise.all(batch.map((c) => send(server.port, c)));
      answers.forEach((a, j) => {
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        let code: unknown;
        try {
          code = JSON.parse(a.body)?.error?.code;
        } catch {
          code = undefined;
        }
        if (a.status < 400 || a.status > 499 || !a.type.startsWith('application/json') || typeof code !== 'string') {
          failures.push(`#${i + j} POST ${batch[j]!.path.slice(0, 120)} -> ${a.status} ${a.body.slice(0, 120)}`);
        }
      });
    }
    console.info(`fuzz seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(failures.slice(0, 10)).toEqual([]);
    expect(await playlistText(server.port)).toBe(playlist);
    expect(await listFiles(server.root)).toEqual(tree);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
