// Seeded hostile publish requests, defined once: packages/streamer/test/http/publish-fuzz.test.ts
// sends 2 500 of them in CI, bench/publish-fuzz.mjs sends 10 000 against the built streamer.
// Every request is built to be invalid in at least one way, so every answer must be a 4xx with a
// JSON error `{ "error": { "code" } }`. The PRNG is seeded so a failure replays exactly.
import { request } from 'node:http';

/** What the streamer under fuzz must be started with: the generator breaks these on purpose. */
export const FUZZ_SERVER = { publishToken: 'fuzz-token', maxSegmentBytes: 256 * 1024, maxUploads: 1000 };
export const FUZZ_DEFAULT_SEED = 20240501;

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An endless source of hostile cases `{ path, headers, body }`; `segment` is one valid MPEG-TS segment. */
export function createFuzzCases(seed, segment) {
  const TOKEN = FUZZ_SERVER.publishToken;
  const MAX = FUZZ_SERVER.maxSegmentBytes;
  const rnd = mulberry32(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (list) => list[int(list.length)];
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const randomText = (n) =>
    Array.from({ length: n }, () => String.fromCodePoint(pick([int(128), 0x80 + int(0x780), 0x4e00 + int(100), 0x1f600 + int(50)]))).join('');

  const goodName = () => `cam-${int(1e6)}.ts`;
  const badNames = [
    () => '..',
    () => '../x.ts',
    () => '..%2fx.ts',
    () => '%2e%2e%2fx.ts',
    () => '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd.ts',
    () => 'a%00.ts',
    () => '%00',
    () => '.hidden.ts',
    () => 'x..ts',
    () => 'a%2fb.ts',
    () => 'a%5cb.ts',
    () => `${'a'.repeat(129 + int(3000))}.ts`,
    () => 'noext',
    () => 'x.TS.exe',
    () => encodeURIComponent(randomText(1 + int(20))),
    () => '%zz.ts',
    () => '%',
    () => 'window-state.json',
    () => encodeURIComponent(`${randomText(3)}.ts`),
    () => '',
    () => 'a b.ts'.replace(' ', '%20'),
    () => '%C0%AE%C0%AE%2Fx.ts',
  ];
  const goodDuration = () => (0.1 + rnd() * 0.9).toFixed(3);
  const badDurations = [
    'NaN',
    '1e309',
    '-0',
    '0',
    '-1',
    '0x10',
    '1e3',
    'Infinity',
    '31',
    '30.0000000001',
    '',
    '1.',
    '.5',
    '1,5',
    '%31',
    '1/2',
    '9'.repeat(400),
    '%201',
    '1%00',
  ];
  const tokenHeaders = () => ({ Authorization: `Bearer ${TOKEN}` });
  const badTokens = [
    () => ({}),
    () => ({ Authorization: 'Bearer' }),
    () => ({ Authorization: `Bearer ${TOKEN}x` }),
    () => ({ Authorization: `Basic ${TOKEN}` }),
    () => ({ Authorization: `Bearer ${'x'.repeat(4000)}` }),
    () => ({ Authorization: `Bearer ${TOKEN.slice(0, -1)}` }),
    () => ({ Authorization: 'bearer  ' }),
  ];
  const badHeaders = [
    { 'X-Publisher-Session': '../../etc' },
    { 'X-Publisher-Session': 'x'.repeat(65) },
    { 'X-Program-Date-Time': 'yesterday' },
    { 'X-Program-Date-Time': '2024-13-45T99:99:99Z' },
    { 'X-Target-Duration': '0' },
    { 'X-Target-Duration': '1e1' },
    { 'X-Target-Duration': '-5' },
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

  return () => {
    const broken = new Set(Array.from({ length: 1 + int(2) }, () => pick(['name', 'duration', 'token', 'header', 'body'])));
    const name = broken.has('name') ? pick(badNames)() : goodName();
    const duration = broken.has('duration') ? pick(badDurations) : goodDuration();
    const headers = {
      'Content-Type': pick(['video/mp2t', 'text/html', 'application/json']),
      'X-Publisher-Session': 'fuzz',
      ...(broken.has('token') ? pick(badTokens)() : tokenHeaders()),
      ...(broken.has('header') ? pick(badHeaders) : {}),
    };
    const body = broken.has('body') ? pick(badBodies)() : segment;
    const path = pick([`/publish/${name}/${duration}`, `/publish/${name}`, `/publish/${name}/${duration}/extra`, `/publish//${duration}`]);
    // A good body on an otherwise good request would be accepted: the path shapes above do not all break it.
    if (!broken.has('body') && ['name', 'duration', 'token', 'header'].every((k) => !broken.has(k))) broken.add('body');
    return { path, headers, body: broken.has('body') && body === segment ? pick(badBodies)() : body };
  };
}

/** POSTs one case on a fresh connection; resolves with its status, Content-Type and body text. */
export function sendFuzzCase(port, c) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: c.path, headers: { ...c.headers, 'Content-Length': String(c.body.length) }, agent: false },
      (res) => {
        answered = true;
        const chunks = [];
        res.on('data', (d) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    // A refused large body may be cut off mid-send; the answer already came.
    req.on('error', (error) => !answered && reject(error));
    req.end(c.body);
  });
}

/**
 * Sends `count` cases, `concurrency` at a time. Returns the count per status, the requests whose
 * answer was not a 4xx JSON error with a string code (described in one line each), and the time.
 */
export async function runFuzz({ port, seed, count, segment, concurrency = 8 }) {
  const next = createFuzzCases(seed, segment);
  const failures = [];
  const statuses = {};
  const started = performance.now();
  for (let i = 0; i < count; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - i) }, () => next());
    const answers = await Promise.all(batch.map((c) => sendFuzzCase(port, c)));
    answers.forEach((a, j) => {
      statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      let code;
      try {
        code = JSON.parse(a.body)?.error?.code;
      } catch {
        code = undefined;
      }
      if (a.status < 400 || a.status > 499 || !a.type.startsWith('application/json') || typeof code !== 'string') {
        failures.push(`#${i + j} POST ${batch[j].path.slice(0, 120)} -> ${a.status} ${a.body.slice(0, 120)}`);
      }
    });
  }
  return { requests: count, statuses, failures, seconds: (performance.now() - started) / 1000 };
}
