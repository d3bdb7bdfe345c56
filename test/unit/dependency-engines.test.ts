// `npm ci` warns EBADENGINE for every locked package whose `engines.node` the running Node does not
// satisfy. The lock file says which packages those are without installing anything, so the check is
// cheap: the dev dependencies that pulled Node 22-only versions (cookie 2 under fastify's
// light-my-request, undici 8 under testcontainers) are pinned back through `overrides` in package.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface LockedPackage {
  version?: string;
  engines?: { node?: string } | string[];
}

describe('locked dependencies', () => {
  it('all accept the running Node version, so npm ci prints no EBADENGINE warning', () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockedPackage>;
    };
    const unsupported = Object.entries(lock.packages).flatMap(([where, pkg]) => {
      const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (range === undefined || semver.satisfies(process.versions.node, range, { includePrerelease: true })) return [];
      return [`${where}@${pkg.version ?? '?'} needs node ${range}`];
    });
    expect(unsupported).toEqual([]);
  });
});
