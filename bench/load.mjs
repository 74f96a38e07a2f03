#!/usr/bin/env node
// The full load test: packages/e2e/test/load.test.ts for 60 s (CI runs it for 20 s).
//   node bench/load.mjs [seconds] [viewers]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './lib.mjs';

const [seconds = '60', viewers = '200'] = process.argv.slice(2);
const result = spawnSync('npx', ['vitest', 'run', 'test/load.test.ts'], {
  cwd: join(root, 'packages/e2e'),
  env: { ...process.env, LOAD_SECONDS: seconds, LOAD_VIEWERS: viewers },
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
