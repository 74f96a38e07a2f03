import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real servers, real ffmpeg: generous limits for a loaded two-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
