import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';

const TYPESCRIPT = /\.(?:ts|mts|cts)$/;

/**
 * Makes a TypeScript app module importable. Node runs it as is where it strips types itself
 * (22.18 and later, or 22.6 with --experimental-strip-types); else tsx, from the app's project,
 * is registered as the loader. Registered globally rather than through a namespaced import, so
 * that the app and this worker share one copy of Turbine's classes.
 */
export async function prepareTypeScript(appPath: string, shownPath: string): Promise<void> {
  if (!TYPESCRIPT.test(appPath) || nodeStripsTypes()) return;
  const api = findTsxApi([path.dirname(appPath), process.cwd()]);
  if (!api) {
    throw new ConfigError(
      `Cannot load ${shownPath}: Node.js ${process.version} does not run TypeScript by itself. ` +
        'Install tsx in your project (npm install --save-dev tsx), use Node.js 22.18 or later, ' +
        'or compile the app (npx tsc) and pass the .js file',
    );
  }
  const { register } = (await import(pathToFileURL(api).href)) as { register: () => unknown };
  register();
}

function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: string | false }).typescript);
}

/** The ESM API file of the first tsx installation found from these directories. */
function findTsxApi(directories: string[]): string | null {
  for (const directory of directories) {
    try {
      const manifestPath = createRequire(path.join(directory, 'noop.js')).resolve('tsx/package.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        exports?: Record<string, { import?: { default?: string } }>;
      };
      const entry = manifest.exports?.['./esm/api']?.import?.default;
      if (entry) return path.join(path.dirname(manifestPath), entry);
    } catch {
      // Not installed where this directory's project would find it; try the next.
    }
  }
  return null;
}
