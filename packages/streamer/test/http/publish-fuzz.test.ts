// Thousands of hostile publish requests against a real streamer. Every request is built to be
// invalid in at least one way, so every answer must be a 4xx with a JSON error; afterwards the
// server is up, the playlist and media folder are as before, and nothing was written anywhere
// else. The cases come from bench/publish-fuzz-cases.mjs, shared with `pnpm bench fuzz` (10 000
// requests); the PRNG is seeded (FUZZ_SEED) so a failure replays exactly, FUZZ_COUNT extends it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_DEFAULT_SEED, FUZZ_SERVER, runFuzz } from '../../../../bench/publish-fuzz-cases.mjs';
import { makeSegment, tempDir } from '../helpers/fixtures.js';
import { listFiles, playlistText, publish, startServer, type TestServer } from '../helpers/server.js';

const SEED = Number(process.env.FUZZ_SEED ?? FUZZ_DEFAULT_SEED);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2500);

let tmp: Awaited<ReturnType<typeof tempDir>>;
let server: TestServer;
let segment: Buffer;

beforeAll(async () => {
  tmp = await tempDir();
  segment = await makeSegment(tmp.path);
  server = await startServer(FUZZ_SERVER);
  for (const name of ['seed-0.ts', 'seed-1.ts']) {
    expect((await publish(server.port, { name, duration: 0.2, body: segment, token: FUZZ_SERVER.publishToken, session: 'fuzz' })).status).toBe(201);
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
    const result = await runFuzz({ port: server.port, seed: SEED, count: COUNT, segment });
    console.info(`fuzz seed ${SEED}: statuses ${JSON.stringify(result.statuses)} in ${result.seconds.toFixed(1)} s`);
    expect(Object.values(result.statuses).reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(result.failures.slice(0, 10)).toEqual([]);
    expect(await playlistText(server.port)).toBe(playlist);
    expect(await listFiles(server.root)).toEqual(tree);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
  });
});
