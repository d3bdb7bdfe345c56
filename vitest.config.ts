import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and end-to-end tests start processes and load Redis; two cores, two files at once.
    maxWorkers: 2,
    pool: 'forks',
  },
});
