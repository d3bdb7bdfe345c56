import type { z } from 'zod';
import { configSchema, SECRET_OPTIONS } from './schema.js';

export type OptionType = 'string' | 'number' | 'boolean' | 'list' | 'enum';

/** One leaf of the configuration, found by walking the schema. */
export interface OptionInfo {
  /** Dot path, e.g. `health.port`. */
  path: string;
  type: OptionType;
  nullable: boolean;
  description: string;
  defaultValue: unknown;
  /** `TURBINE_HEALTH_PORT` for `health.port`. */
  envVar: string;
  /** `--health-port` for `health.port`, `--backend-url` for `backendUrl`. */
  flag: string;
  secret: boolean;
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } };
  description?: string;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable']);

function unwrap(schema: z.ZodType): { leaf: ZodInternals; nullable: boolean } {
  let current = schema as unknown as ZodInternals;
  let nullable = false;
  while (WRAPPERS.has(current._zod.def.type) && current._zod.def.innerType) {
    if (current._zod.def.type === 'nullable') nullable = true;
    current = current._zod.def.innerType as unknown as ZodInternals;
  }
  return { leaf: current, nullable };
}

const kebab = (s: string): string => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const upperSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

export function envVarFor(path: string): string {
  return `TURBINE_${path.split('.').map(upperSnake).join('_')}`;
}

export function flagFor(path: string): string {
  return `--${path.split('.').map(kebab).join('-')}`;
}

function typeOf(leaf: ZodInternals): OptionType {
  switch (leaf._zod.def.type) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'list';
    case 'enum':
      return 'enum';
    default:
      return 'string';
  }
}

let cached: OptionInfo[] | undefined;

/** Every option of the configuration, in schema order. */
export function listOptions(): OptionInfo[] {
  if (cached) return cached;
  const defaults = configSchema.parse({}) as Record<string, unknown>;
  const out: OptionInfo[] = [];
  const walk = (shape: Record<string, z.ZodType>, prefix: string, defaultsHere: Record<string, unknown>): void => {
    for (const [key, field] of Object.entries(shape)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const { leaf, nullable } = unwrap(field);
      if (leaf._zod.def.type === 'object' && leaf._zod.def.shape) {
        walk(leaf._zod.def.shape, path, (defaultsHere[key] ?? {}) as Record<string, unknown>);
        continue;
      }
      out.push({
        path,
        type: typeOf(leaf),
        nullable,
        description: (field as unknown as ZodInternals).description ?? leaf.description ?? '',
        defaultValue: defaultsHere[key],
        envVar: envVarFor(path),
        flag: flagFor(path),
        secret: SECRET_OPTIONS.has(path),
      });
    }
  };
  walk((configSchema as unknown as ZodInternals)._zod.def.shape ?? {}, '', defaults);
  cached = out;
  return out;
}

export function getPath(object: unknown, path: string): unknown {
  let current = object;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function setPath(object: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = object;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1]!] = value;
}
