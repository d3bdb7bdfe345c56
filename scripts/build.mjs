// Compiles src/ to dist/ and copies the Lua scripts beside the compiled loader,
// which reads them at run time (they are not JavaScript, so tsc leaves them out).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// dist/ is overwritten in place, not deleted first: tests and workers started from it by other
// processes keep running while it is rebuilt (`npm run clean` removes it).
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
// Each area's Lua scripts sit in its lua/ folder.
for (const area of readdirSync('src', { withFileTypes: true })) {
  const lua = path.join('src', area.name, 'lua');
  if (area.isDirectory() && existsSync(lua)) cpSync(lua, path.join('dist', area.name, 'lua'), { recursive: true });
}
for (const bin of ['dist/cli/main.js', 'dist/worker/main.js']) chmodSync(bin, 0o755);
