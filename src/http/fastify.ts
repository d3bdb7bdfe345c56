// Types only: Fastify is an optional peer dependency, so this module must load without it.
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { httpErrorFor, type HttpErrorOptions } from './errors.js';
import { createTenantResolver, type TenantResolverOptions } from './resolver.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's tenant, set by the `fastifyTenant` plugin. */
    tenantId?: string;
  }
}

export type FastifyTenantOptions = TenantResolverOptions<FastifyRequest>;

/**
 * Resolves the tenant of each request in an `onRequest` hook and sets `request.tenantId`;
 * a request without a valid (and, with `manager`, existing and enabled) tenant goes to the
 * error handler instead. The hook applies to the scope the plugin is registered in (like
 * `fastify-plugin`), so register it inside the scope of the routes that need a tenant.
 * The subdomain strategy reads `request.host` (honouring `trustProxy`).
 */
async function plugin(fastify: FastifyInstance, options: FastifyTenantOptions): Promise<void> {
  const resolver = createTenantResolver<FastifyRequest>(options, (request) => ({
    headers: request.headers,
    host: request.host,
    url: request.url,
  }));
  if (!fastify.hasRequestDecorator('tenantId')) fastify.decorateRequest('tenantId', undefined);
  fastify.addHook('onRequest', async (request) => {
    request.tenantId = await resolver.resolve(request);
  });
  fastify.addHook('onClose', async () => {
    await resolver.close();
  });
}

/** The plugin; `skip-override` is what `fastify-plugin` sets, without depending on it. */
export const fastifyTenant: FastifyPluginAsync<FastifyTenantOptions> = Object.assign(plugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'turbine-tenant',
});

export interface FastifyErrorHandlerOptions extends HttpErrorOptions {
  /** Called with errors answered 5xx, whose details the client does not see. @defaultValue logs with `request.log` */
  onServerError?: (error: unknown, request: FastifyRequest) => void;
}

/** For `fastify.setErrorHandler`: answers with {@link httpErrorFor}, `Retry-After` included. */
export function fastifyErrorHandler(
  options: FastifyErrorHandlerOptions = {},
): (error: unknown, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  const onServerError =
    options.onServerError ?? ((error: unknown, request: FastifyRequest) => request.log.error({ err: error }, 'request failed'));
  return (error, request, reply) => {
    const answer = httpErrorFor(error, options);
    if (answer.status >= 500) onServerError(error, request);
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  };
}
