import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The pipeline and CLI tests run real ffmpeg processes in real time; on a 2-core machine
    // running test files one at a time keeps their timing honest.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
