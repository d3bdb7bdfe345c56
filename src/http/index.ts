// `turbine/http`: helpers for Node HTTP servers. The framework adapters import only types
// from Express and Fastify, so this entry point loads without either installed.
export { createTenantResolver } from './resolver.js';
export type { RequestView, TenantResolver, TenantResolverOptions } from './resolver.js';
export type { TenantRequest, TenantStrategy, VerifiedClaims } from './strategies.js';
export type { TenantCacheOptions, TenantState } from './tenant-cache.js';
export { httpErrorFor, TenantRequiredError } from './errors.js';
export type { HttpErrorOptions, HttpErrorResponse } from './errors.js';
export { expressTenant, expressErrorHandler, tenantOf } from './express.js';
export type { ExpressErrorHandlerOptions, ExpressTenantMiddleware } from './express.js';
export { fastifyTenant, fastifyErrorHandler } from './fastify.js';
export type { FastifyErrorHandlerOptions, FastifyTenantOptions } from './fastify.js';
