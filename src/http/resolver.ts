import { InvalidArgumentError, TenantDisabledError, TenantNotFoundError } from '../core/errors.js';
import type { TenantManager } from '../tenancy/manager.js';
import { assertTenantId } from '../tenancy/validation.js';
import { TenantRequiredError } from './errors.js';
import { compileStrategy, type TenantRequest, type TenantStrategy } from './strategies.js';
import { TenantStateCache, type TenantCacheOptions } from './tenant-cache.js';

export interface TenantResolverOptions<R = TenantRequest> {
  /**
   * Where to look, in order; the first strategy that finds a tenant wins. A strategy that
   * finds an invalid id does not fall through: the request is refused (400).
   * @defaultValue `[{ type: 'header' }]` (the `X-Tenant-ID` header)
   */
  strategies?: readonly TenantStrategy<R>[];
  /**
   * Tenant of requests where no strategy finds one (the Python SDK's `'default'` fallback).
   * Without it such requests are refused (400, `TENANT_REQUIRED`).
   */
  defaultTenant?: string;
  /**
   * Checks that the tenant exists (else 404) and is enabled (else 403). Without it only the
   * id's syntax is checked; submissions are still refused by Turbine's own admission.
   */
  manager?: TenantManager;
  /** The cache of tenant states used with `manager`. */
  cache?: TenantCacheOptions;
}

export interface TenantResolver<R = TenantRequest> {
  /**
   * The tenant of a request. Throws `TenantRequiredError` (400), `InvalidTenantIdError`
   * (400), `TenantNotFoundError` (404) or `TenantDisabledError` (403); `httpErrorFor` maps them.
   */
  resolve(request: R): Promise<string>;
  /** Stops listening for tenant changes (with `manager`). */
  close(): Promise<void>;
}

/** Reads the parts of a framework's request that the built-in strategies need. */
export type RequestView<R> = (request: R) => TenantRequest;

/**
 * Builds a framework-agnostic tenant resolver. Frameworks pass a `view` of their request;
 * called without one, the request itself must have the {@link TenantRequest} shape.
 */
export function createTenantResolver<R extends TenantRequest = TenantRequest>(
  options?: TenantResolverOptions<R>,
): TenantResolver<R>;
export function createTenantResolver<R>(options: TenantResolverOptions<R>, view: RequestView<R>): TenantResolver<R>;
export function createTenantResolver<R>(
  options: TenantResolverOptions<R> = {},
  view: RequestView<R> = (request) => request as unknown as TenantRequest,
): TenantResolver<R> {
  const strategies = (options.strategies ?? [{ type: 'header' }]).map((s) => compileStrategy(s));
  if (strategies.length === 0 && options.defaultTenant === undefined) {
    throw new InvalidArgumentError('A tenant resolver needs at least one strategy or a defaultTenant');
  }
  const fallback = options.defaultTenant === undefined ? undefined : assertTenantId(options.defaultTenant);
  const cache = options.manager ? new TenantStateCache(options.manager, options.cache) : null;
  const missing = `No tenant in the request: send ${strategies.map((s) => s.hint).join(', or ')}`;

  return {
    async resolve(request) {
      const shape = view(request);
      let found: string | undefined;
      for (const strategy of strategies) {
        found = await strategy.find(shape, request);
        if (found !== undefined) break;
      }
      const tenantId = found === undefined ? fallback : assertTenantId(found);
      if (tenantId === undefined) throw new TenantRequiredError(missing);
      const state = cache ? await cache.state(tenantId) : 'active';
      if (state === 'missing') throw new TenantNotFoundError(tenantId);
      if (state === 'disabled') throw new TenantDisabledError(tenantId);
      return tenantId;
    },
    async close() {
      await cache?.close();
    },
  };
}
