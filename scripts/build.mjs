// Compiles src/ to dist/ and copies the Lua commands beside the compiled loader,
// which reads them at run time (they are not JavaScript, so tsc leaves them out).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// dist/ is overwritten in place, not deleted first: tests and workers started from it by other
// processes keep running while it is rebuilt (`npm run clean` removes it).
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
cpSync('src/commands', 'dist/commands', {
  recursive: true,
  filter: (src) => !src.endsWith('.ts'),
});
for (const bin of ['dist/cli/main.js', 'dist/worker/main.js']) chmodSync(bin, 0o755);
