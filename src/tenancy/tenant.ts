import { InvalidArgumentError } from '../core/errors.js';
import { SHARED_POOL } from '../core/keys.js';
import type { JsonValue } from '../core/json.js';
import {
  NUMERIC_QUOTA_NAMES,
  QUOTA_NAMES,
  QUOTA_WIRE_NAMES,
  quotasToWire,
  type QuotaValue,
  type QuotaWireName,
  type RateLimitMode,
  type TenantQuotas,
} from './quotas.js';

export type { JsonValue } from '../core/json.js';

/** Free-form facts about a tenant (plan, contact, …), stored as JSON. */
export type TenantMetadata = Record<string, JsonValue>;

export interface Tenant {
  tenantId: string;
  name: string;
  enabled: boolean;
  /** The worker pool that runs its tasks: only workers started with `--pool <pool>` (`shared`: those without). */
  pool: string;
  quotas: TenantQuotas;
  metadata: TenantMetadata;
  createdAt: Date;
  updatedAt: Date;
}

/** A tenant as JSON, with the Python SDK's snake_case names (CLI `--json`, audit entries). */
export interface TenantJson {
  tenant_id: string;
  name: string;
  enabled: boolean;
  pool: string;
  quotas: Record<QuotaWireName, QuotaValue>;
  metadata: TenantMetadata;
  created_at: string;
  updated_at: string;
}

export function tenantToJson(tenant: Tenant): TenantJson {
  return {
    tenant_id: tenant.tenantId,
    name: tenant.name,
    enabled: tenant.enabled,
    pool: tenant.pool,
    quotas: quotasToWire(tenant.quotas),
    metadata: tenant.metadata,
    created_at: tenant.createdAt.toISOString(),
    updated_at: tenant.updatedAt.toISOString(),
  };
}

/**
 * The stored form: one hash field per attribute and per set quota (an unlimited quota has no
 * field), so that Lua reads exactly the limits it needs with one HMGET.
 */
export function quotaFields(quotas: TenantQuotas): { set: Record<string, string>; unset: string[] } {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const name of QUOTA_NAMES) {
    if (!(name in quotas)) continue;
    const value = quotas[name];
    const field = QUOTA_WIRE_NAMES[name];
    if (value === null || value === undefined) unset.push(field);
    else set[field] = Array.isArray(value) ? JSON.stringify(value) : String(value);
  }
  return { set, unset };
}

export function tenantFromHash(hash: Record<string, string>): Tenant {
  const quotas: TenantQuotas = {};
  for (const name of NUMERIC_QUOTA_NAMES) {
    const raw = hash[QUOTA_WIRE_NAMES[name]];
    if (raw !== undefined) quotas[name] = Number(raw);
  }
  if (hash.allowed_queues !== undefined) quotas.allowedQueues = JSON.parse(hash.allowed_queues) as string[];
  if (hash.rate_limit_mode !== undefined) quotas.rateLimitMode = hash.rate_limit_mode as RateLimitMode;
  return {
    tenantId: hash.tenant_id ?? '',
    name: hash.name ?? '',
    enabled: hash.enabled !== 'false',
    pool: hash.pool ?? SHARED_POOL,
    quotas,
    metadata: hash.metadata ? (JSON.parse(hash.metadata) as TenantMetadata) : {},
    createdAt: new Date(hash.created_at ?? 0),
    updatedAt: new Date(hash.updated_at ?? 0),
  };
}

export function parseMetadata(input: unknown): TenantMetadata {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidArgumentError('Invalid metadata: expected an object of keys to JSON values');
  }
  try {
    return JSON.parse(JSON.stringify(input)) as TenantMetadata;
  } catch (error) {
    throw new InvalidArgumentError(`Invalid metadata: it must be JSON-serializable (${(error as Error).message})`);
  }
}

export function assertTenantName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
    throw new InvalidArgumentError('Invalid tenant name: give a non-empty name of at most 200 characters');
  }
  return name;
}
