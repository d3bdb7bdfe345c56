import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../core/errors.js';
import { redactUrl } from '../store/connection.js';
import { getPath, listOptions, setPath, type OptionInfo } from './options.js';
import { configSchema, type TurbineConfig } from './schema.js';

export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface LoadedConfig {
  config: TurbineConfig;
  /** Where each option's value came from, by dot path. */
  sources: Record<string, ConfigSource>;
  file: string | undefined;
}

export interface LoadConfigInput {
  /** A YAML or JSON file (JSON is YAML). */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by dot path (`{ 'health.port': 8080 }`) or nested. */
  flags?: Record<string, unknown>;
}

/**
 * Merges defaults < file < environment < flags and validates the result once. An invalid value
 * raises {@link ConfigError} naming the option and where it came from (file, variable or flag).
 */
export function loadConfig(input: LoadConfigInput = {}): LoadedConfig {
  const options = listOptions();
  const merged: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = Object.fromEntries(options.map((o) => [o.path, 'default']));

  if (input.file) {
    const fromFile = readConfigFile(input.file);
    for (const option of options) {
      const value = getPath(fromFile, option.path);
      if (value !== undefined) {
        setPath(merged, option.path, value);
        sources[option.path] = 'file';
      }
    }
    rejectUnknownKeys(fromFile, input.file);
  }

  const env = input.env ?? process.env;
  for (const option of options) {
    const raw = env[option.envVar];
    if (raw === undefined || raw === '') continue;
    setPath(merged, option.path, parseEnvValue(option, raw));
    sources[option.path] = 'env';
  }

  for (const [key, value] of Object.entries(flattenFlags(input.flags ?? {}))) {
    if (value === undefined) continue;
    setPath(merged, key, value);
    sources[key] = 'flag';
  }

  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.join('.');
    // A list item (`queues.0`) belongs to its option (`queues`).
    const option = options.find((o) => path === o.path || path.startsWith(`${o.path}.`));
    const where = option ? describeSource(option, sources[option.path] ?? 'default', input.file) : 'configuration';
    const detail =
      issue.code === 'unrecognized_keys' ? `unknown option(s) ${issue.keys.join(', ')}` : issue.message;
    throw new ConfigError(`Invalid configuration: ${path || '(root)'} from ${where}: ${detail}`);
  }
  return { config: result.data, sources, file: input.file };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Config file ${file} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file ${file} must hold a mapping of options`);
  }
  return parsed as Record<string, unknown>;
}

function rejectUnknownKeys(fromFile: Record<string, unknown>, file: string): void {
  const known = new Set(listOptions().map((o) => o.path));
  const groups = new Set([...known].filter((p) => p.includes('.')).map((p) => p.split('.')[0]!));
  const walk = (object: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(object)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (known.has(path)) continue;
      if (!prefix && groups.has(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, path);
        continue;
      }
      throw new ConfigError(`Invalid configuration: unknown option '${path}' in ${file}; see 'turbine config print' for the options`);
    }
  };
  walk(fromFile, '');
}

function parseEnvValue(option: OptionInfo, raw: string): unknown {
  if (option.nullable && raw === 'null') return null;
  switch (option.type) {
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) {
        throw new ConfigError(`Invalid configuration: ${option.envVar}=${raw} is not a number`);
      }
      return value;
    }
    case 'boolean':
      if (['true', '1', 'yes'].includes(raw)) return true;
      if (['false', '0', 'no'].includes(raw)) return false;
      throw new ConfigError(`Invalid configuration: ${option.envVar}=${raw} is not true or false`);
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

function flattenFlags(flags: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flattenFlags(value as Record<string, unknown>, path));
    else out[path] = value;
  }
  return out;
}

function describeSource(option: OptionInfo, source: ConfigSource, file: string | undefined): string {
  switch (source) {
    case 'file':
      return `config file ${file}`;
    case 'env':
      return `environment variable ${option.envVar}`;
    case 'flag':
      return `flag ${option.flag}`;
    default:
      return 'the defaults';
  }
}

/** The value as it may be printed: secrets redacted. */
export function printableValue(option: OptionInfo, value: unknown): unknown {
  if (option.secret && typeof value === 'string') return redactUrl(value);
  return value;
}
