// docs/sdk.md as written: its blocks marked `<!-- program -->`, in order, are one TypeScript
// program, run with tsx as a user would run theirs. It imports `turbine-tasks` by name, which
// resolves to this package's build (a package may import itself by its name), so the file is
// written inside the repository. Added around it: the tenants it submits for, Redis and a
// prefix of the test's own, and closing the app and manager at the end (the page's blocks are
// parts of a longer program, which would close them when it stops).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TenantManager } from '../../src/tenancy/manager.js';
import { cleanEnv } from '../helpers/cli.js';
import { deletePrefix, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';
import { PROGRAM_DOCS, codeBlocks } from '../helpers/markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const TSC = path.join(ROOT, 'node_modules/.bin/tsc');
const run = promisify(execFile);
const prefixes: string[] = [];
const dirs: string[] = [];

afterAll(async () => {
  const raw = rawClient();
  for (const prefix of prefixes) await deletePrefix(raw, prefix);
  await raw.quit();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** What each page's program must print, line by line. */
const EXPECTED: Record<string, RegExp[]> = {
  // applyBulk's loop: a task id and where admission put it, per outcome.
  'docs/sdk.md': [/^[0-9A-HJKMNP-TV-Z]{26} queued$/, /^[0-9A-HJKMNP-TV-Z]{26} queued$/],
};

describe('docs programs', { timeout: 60_000 }, () => {
  for (const file of PROGRAM_DOCS) {
    it(`${file}: its program blocks run in order and print what they should`, async () => {
      const blocks = codeBlocks(readFileSync(path.join(ROOT, file), 'utf8')).filter((b) => b.marker === 'program');
      expect(blocks.length).toBeGreaterThan(0);
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      const manager = new TenantManager({ backendUrl: redisUrl(), prefix, actor: 'docs' });
      try {
        for (const tenantId of ['acme-corp', 'small', 'big']) await manager.createTenant({ tenantId, name: tenantId });
      } finally {
        await manager.close();
      }
      mkdirSync(path.join(ROOT, '.turbine'), { recursive: true });
      const dir = mkdtempSync(path.join(ROOT, '.turbine', 'docs-program-'));
      dirs.push(dir);
      const program = path.join(dir, 'program.ts');
      writeFileSync(program, `${blocks.map((b) => b.code).join('\n')}\nawait app.close();\nawait manager.close();\nexport {};\n`);
      // It compiles as a user's strict TypeScript project would (types from the package's build).
      await run(TSC, ['--ignoreConfig', '--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', '--skipLibCheck', program], { cwd: dir });
      const { stdout, stderr } = await run(TSX, [program], {
        cwd: dir,
        env: cleanEnv({ TURBINE_BACKEND_URL: redisUrl(), TURBINE_PREFIX: prefix }),
        timeout: 45_000,
      });
      expect(stderr).toBe('');
      const lines = stdout.trimEnd().split('\n');
      const expected = EXPECTED[file]!;
      expect(lines).toHaveLength(expected.length);
      lines.forEach((line, i) => expect(line).toMatch(expected[i]!));
    });
  }
});
