// Types only: Express is an optional peer dependency, so this module must load without it.
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { httpErrorFor, TenantRequiredError, type HttpErrorOptions } from './errors.js';
import { createTenantResolver, type TenantResolver, type TenantResolverOptions } from './resolver.js';

declare global {
  // Express's own extension point for request properties (merged into `req` everywhere).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request's tenant, set by `expressTenant()`. */
      tenantId?: string;
    }
  }
}

/** A middleware that also exposes its resolver, to close it with the server. */
export type ExpressTenantMiddleware = RequestHandler & { resolver: TenantResolver<Request> };

/**
 * Resolves the tenant of each request and sets `req.tenantId`; a request without a valid
 * (and, with `manager`, existing and enabled) tenant goes to the error handlers instead.
 * The path strategy reads `req.originalUrl`, so patterns see the full path wherever the
 * middleware is mounted; the subdomain strategy reads `req.hostname` (honouring `trust proxy`).
 */
export function expressTenant(options: TenantResolverOptions<Request> = {}): ExpressTenantMiddleware {
  const resolver = createTenantResolver<Request>(options, (req) => ({
    headers: req.headers,
    // `hostname` honours `trust proxy` in Express 4 and 5 alike (`host` changed meaning in 5).
    host: req.hostname,
    url: req.originalUrl,
  }));
  // Promise handlers instead of an async function: Express 4 does not catch rejections.
  const middleware: RequestHandler = (req, _res, next) => {
    resolver.resolve(req).then((tenantId) => {
      req.tenantId = tenantId;
      next();
    }, next);
  };
  return Object.assign(middleware, { resolver });
}

/** `req.tenantId`, for handlers behind {@link expressTenant}; throws (400) if it is missing. */
export function tenantOf(req: Request): string {
  if (req.tenantId === undefined) {
    throw new TenantRequiredError('No tenant for this request: mount expressTenant() before this route');
  }
  return req.tenantId;
}

export interface ExpressErrorHandlerOptions extends HttpErrorOptions {
  /** Called with errors answered 5xx, whose details the client does not see: log them here. */
  onServerError?: (error: unknown, req: Request) => void;
}

/** Answers errors with {@link httpErrorFor}: status, `{ error, message }` and `Retry-After`. */
export function expressErrorHandler(options: ExpressErrorHandlerOptions = {}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = httpErrorFor(error, options);
    if (answer.status >= 500) options.onServerError?.(error, req);
    res.status(answer.status).set(answer.headers).json(answer.body);
  };
}
