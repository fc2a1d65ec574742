import { defineConfig } from 'vitest/config';

// Runs bench/e2e/vitest-entry.ts only (bench/e2e.ts starts it); dist/oneke is built by `npm run bench`.
export default defineConfig({
  test: {
    include: ['bench/e2e/vitest-entry.ts'],
    testTimeout: 60 * 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
