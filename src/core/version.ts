import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Turbine's version, for `turbine_worker_info{version}`. Read from package.json at run time:
 * src/ and dist/ both sit one level under the package root, so the relative path holds for
 * tests and for the installed package alike.
 */
export const TURBINE_VERSION: string = readVersion();

function readVersion(): string {
  try {
    const path = fileURLToPath(new URL('../../package.json', import.meta.url));
    const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}
