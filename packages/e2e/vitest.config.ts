import { defineConfig } from 'vitest/config';

// Each file runs real ffmpeg encoders and sometimes Chromium: on two cores they go one at a time.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
