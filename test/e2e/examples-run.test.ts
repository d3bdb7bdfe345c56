// The examples run as users run them: `npx tsx examples/guide/run.ts`, importing the built
// package by name, against a real Redis, printing what each example did.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('examples/guide/run.ts', () => {
  it('runs every example and prints its outcome, leaving no key behind', { timeout: 120_000 }, async () => {
    const prefix = uniquePrefix();
    const { stdout } = await promisify(execFile)(path.join(ROOT, 'node_modules/.bin/tsx'), ['examples/guide/run.ts'], {
      cwd: ROOT,
      env: { ...process.env, TURBINE_BACKEND_URL: redisUrl(), TURBINE_PREFIX: prefix },
      timeout: 100_000,
    });
    expect(stdout).toContain("create-tenant: { tenantId: 'acme-corp', maxTasksPerHour: 1000 }");
    expect(stdout).toContain("quick-start: { data: { key: 'value' }, tenant: 'acme-corp' }");
    expect(stdout).toMatch(/quick-start \(pinned tenant\): \{\s+to: 'user@example\.com',\s+subject: 'Welcome',\s+tenant: 'acme-corp'\s+\}/);
    expect(stdout).toMatch(/saas-tiers: \{ task_id: '\S+', status: 'submitted' \}/);
    expect(stdout).toContain('manage-tenants: { enabled: false }');
    expect(stdout).toContain('manage-tenants (delete): true');
    const raw = rawClient();
    try {
      expect(await raw.keys(`${prefix}:*`)).toEqual([]);
    } finally {
      await raw.quit();
    }
  });
});
