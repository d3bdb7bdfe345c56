import { InvalidArgumentError, InvalidTenantIdError } from '../core/errors.js';

/** The little of an HTTP request that the built-in strategies read; every framework has it. */
export interface TenantRequest {
  /** Header names in lower case, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The host the client asked for, with or without a port. @defaultValue the `Host` header */
  host?: string;
  /** The path and query, e.g. `/api/acme/tasks?page=2`. */
  url?: string;
}

type Found = string | null | undefined;

/** Claims of a token the application has already verified (signature, expiry, audience). */
export type VerifiedClaims = Readonly<Record<string, unknown>>;

/**
 * Where to find the tenant of a request. `R` is the framework's request type, which the
 * `claim` and `custom` strategies receive.
 */
export type TenantStrategy<R = TenantRequest> =
  /** A header. @defaultValue name `X-Tenant-ID` */
  | { type: 'header'; name?: string }
  /**
   * The label before `baseDomain`: `acme.yourapp.com` → `acme`. The bare domain, deeper
   * names (`a.b.yourapp.com`) and `reserved` labels such as `www` are not tenant hosts.
   */
  | { type: 'subdomain'; baseDomain: string; reserved?: readonly string[] }
  /** A path segment: `index` counts from 0 (`/api/acme` → 1), or a `pattern` such as `/api/:tenant`. */
  | { type: 'path'; index: number }
  | { type: 'path'; pattern: string }
  /**
   * A claim of the request's verified token. Turbine does not verify tokens: `claims` returns
   * what your authentication already checked, or nothing for an anonymous request.
   */
  | { type: 'claim'; claim: string; claims: (request: R) => VerifiedClaims | null | undefined | Promise<VerifiedClaims | null | undefined> }
  /** Anything else; return nothing to let the next strategy try. */
  | { type: 'custom'; resolve: (request: R) => Found | Promise<Found>; describe?: string };

/** A strategy ready to run: returns the raw tenant id it found, if any. */
export interface CompiledStrategy<R> {
  find(view: TenantRequest, request: R): Promise<string | undefined>;
  /** For the "no tenant" message: what a client can send. */
  hint: string;
}

export function compileStrategy<R>(strategy: TenantStrategy<R>): CompiledStrategy<R> {
  switch (strategy.type) {
    case 'header': {
      const name = strategy.name ?? 'X-Tenant-ID';
      const key = name.toLowerCase();
      return { hint: `the ${name} header`, find: async (view) => present(headerValue(view.headers[key])) };
    }
    case 'subdomain':
      return subdomainStrategy(strategy.baseDomain, strategy.reserved ?? []);
    case 'path':
      return 'pattern' in strategy ? pathPatternStrategy(strategy.pattern) : pathIndexStrategy(strategy.index);
    case 'claim': {
      const { claim, claims } = strategy;
      return {
        hint: `a token with the '${claim}' claim`,
        find: async (_view, request) => {
          const verified = await claims(request);
          if (!verified || verified[claim] === undefined || verified[claim] === null) return undefined;
          const value = verified[claim];
          // A claim of another type is not a tenant id; refusing beats stringifying `[object Object]`.
          if (typeof value !== 'string') throw new InvalidTenantIdError(value);
          return present(value);
        },
      };
    }
    case 'custom':
      return {
        hint: strategy.describe ?? 'a tenant',
        find: async (_view, request) => present((await strategy.resolve(request)) ?? undefined),
      };
    default:
      throw new InvalidArgumentError(
        `Unknown tenant strategy ${JSON.stringify((strategy as { type?: unknown }).type)}: expected header, subdomain, path, claim or custom`,
      );
  }
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  // Several headers of the same name are ambiguous: joined, they fail validation (400).
  return Array.isArray(value) ? value.join(', ') : value;
}

function subdomainStrategy<R>(baseDomain: string, reserved: readonly string[]): CompiledStrategy<R> {
  const base = baseDomain.toLowerCase().replace(/^\.+|\.+$/g, '');
  if (!base.includes('.') && base !== 'localhost') {
    throw new InvalidArgumentError(`Invalid baseDomain '${baseDomain}': expected a domain such as yourapp.com`);
  }
  const skip = new Set(reserved.map((label) => label.toLowerCase()));
  return {
    hint: `a subdomain of ${base}`,
    find: async (view) => {
      const host = hostname(view.host ?? headerValue(view.headers.host));
      if (!host?.endsWith(`.${base}`)) return undefined;
      const label = host.slice(0, -(base.length + 1));
      return label.includes('.') || skip.has(label) ? undefined : present(label);
    },
  };
}

/** `Acme.YourApp.com:8080` → `acme.yourapp.com`; IPv6 literals have no subdomain. */
function hostname(host: string | undefined): string | undefined {
  if (!host || host.startsWith('[')) return undefined;
  return host.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
}

function pathIndexStrategy<R>(index: number): CompiledStrategy<R> {
  if (!Number.isInteger(index) || index < 0) {
    throw new InvalidArgumentError(`Invalid path index ${JSON.stringify(index)}: expected an integer from 0`);
  }
  return { hint: `a tenant as path segment ${index}`, find: async (view) => segments(view.url)[index] };
}

function pathPatternStrategy<R>(pattern: string): CompiledStrategy<R> {
  const parts = segments(pattern);
  const at = parts.indexOf(':tenant');
  if (at < 0) throw new InvalidArgumentError(`Invalid path pattern '${pattern}': it needs a ':tenant' segment, e.g. /api/:tenant`);
  return {
    hint: `a path like ${pattern}`,
    find: async (view) => {
      // The pattern is a prefix: `/api/:tenant` matches `/api/acme/tasks/7`.
      const actual = segments(view.url);
      if (actual.length < parts.length) return undefined;
      return parts.every((part, i) => part.startsWith(':') || actual[i] === part) ? actual[at] : undefined;
    },
  };
}

/** Decoded, non-empty path segments, without the query. */
function segments(url: string | undefined): string[] {
  const path = (url ?? '').split(/[?#]/, 1)[0] ?? '';
  return path
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        // Left encoded: `%` is not allowed in a tenant id, so validation refuses it.
        return segment;
      }
    });
}
