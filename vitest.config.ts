import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export default defineConfig({
  // Examples import the package by its name, as users do; in tests that name means the sources,
  // so an example's errors are the same classes the test catches.
  resolve: {
    alias: [
      { find: /^turbine-tasks\/http$/, replacement: source('./src/http/index.ts') },
      { find: /^turbine-tasks$/, replacement: source('./src/index.ts') },
    ],
  },
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
