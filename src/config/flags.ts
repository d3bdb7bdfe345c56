import type { Options } from 'yargs';
import { listOptions } from './options.js';

/**
 * yargs options for every configuration option (`--health-port`, …), so that flags, variables
 * and file keys can never disagree. Values left unset fall through to the file and environment.
 */
export function configFlagOptions(): Record<string, Options> {
  const out: Record<string, Options> = {};
  for (const option of listOptions()) {
    const name = option.flag.slice(2);
    const describe = `${option.description} [env ${option.envVar}]`;
    // Shown in --help only: a yargs default would count as a flag and hide the file and environment.
    const shown = { describe, group: 'Configuration:', defaultDescription: defaultShown(option.defaultValue) };
    if (option.type === 'number') out[name] = { type: 'number', ...shown };
    else if (option.type === 'boolean') out[name] = { type: 'boolean', ...shown };
    else if (option.type === 'list') out[name] = { type: 'string', ...shown, coerce: (v: string | string[]) => splitList(v) };
    else out[name] = { type: 'string', ...shown };
  }
  return out;
}

function defaultShown(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.length ? value.join(',') : undefined;
  return String(value);
}

function splitList(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

/** The configuration values given as flags, by dot path. */
export function flagValues(argv: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const option of listOptions()) {
    const value = argv[option.flag.slice(2)];
    if (value !== undefined) out[option.path] = value;
  }
  return out;
}
