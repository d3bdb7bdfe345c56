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
    if (option.type === 'number') out[name] = { type: 'number', describe, group: 'Configuration:' };
    else if (option.type === 'boolean') out[name] = { type: 'boolean', describe, group: 'Configuration:' };
    else if (option.type === 'list') {
      out[name] = { type: 'string', describe, group: 'Configuration:', coerce: (v: string | string[]) => splitList(v) };
    } else out[name] = { type: 'string', describe, group: 'Configuration:' };
  }
  return out;
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
