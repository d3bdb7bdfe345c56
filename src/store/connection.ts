import { Redis, type RedisOptions } from 'ioredis';
import { InvalidArgumentError, RedisUnavailableError } from '../core/errors.js';

export const DEFAULT_BACKEND_URL = 'redis://localhost:6379';

/** `TURBINE_BACKEND_URL`, else the Python SDK's default. */
export function resolveBackendUrl(explicit?: string): string {
  return explicit ?? process.env.TURBINE_BACKEND_URL ?? DEFAULT_BACKEND_URL;
}

/**
 * Query parameters that carry a credential. ioredis reads its options from the query too
 * (`redis://host:6379/0?password=…`), so a secret can hide there as well as before the `@`.
 */
const SECRET_PARAM_RE = /pass|secret|token|key|auth|cred/i;

/**
 * The URL with every credential replaced, for logs and error messages: the password before the
 * `@`, and any query parameter that carries one. A URL that does not parse is cut down to what
 * cannot be a secret.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of new Set(parsed.searchParams.keys())) {
      if (SECRET_PARAM_RE.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@').replace(/[?#].*$/, (rest) => (rest ? '?***' : ''));
  }
}

/**
 * How a client behaves while Redis is away:
 * - `command`: a producer, the CLI, a tenant manager. The first connection fails within
 *   seconds with a one-line error; later, while Redis is away, commands fail at once (no
 *   offline queue: fail fast, BullMQ's advice for producers) and the client reconnects in
 *   the background, so a long-lived producer recovers on its own.
 * - `worker`: a long-lived consumer. Reconnects forever with backoff and queues commands while
 *   offline (BullMQ's production guidance: `maxRetriesPerRequest: null`).
 */
export type ConnectionProfile = 'command' | 'worker';

export function redisOptionsFor(url: string, profile: ConnectionProfile): RedisOptions & { url: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      `Invalid backend URL '${redactUrl(url)}': expected redis://[:password@]host[:port][/db] or rediss://…`,
    );
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidArgumentError(
      `Invalid backend URL '${redactUrl(url)}': the scheme must be redis:// or rediss:// (TLS)`,
    );
  }
  const common = {
    url,
    lazyConnect: true,
    connectTimeout: 5000,
    retryStrategy: (times: number) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
  };
  if (profile === 'worker') return { ...common, maxRetriesPerRequest: null, enableOfflineQueue: true };
  return { ...common, maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

/**
 * Opens a client and waits until it is ready. A `command` client that cannot connect raises
 * {@link RedisUnavailableError} naming the URL (password redacted) instead of hanging.
 */
export async function connectRedis(url: string, profile: ConnectionProfile): Promise<Redis> {
  const { url: _url, ...options } = redisOptionsFor(url, profile);
  const client = new Redis(url, options);
  // An 'error' listener keeps ioredis from printing "Unhandled error event" while it retries.
  // The socket's own error (a refused connection, an untrusted certificate) arrives there;
  // connect() itself may only reject with "Connection is closed".
  let socketError: unknown;
  client.on('error', (error: Error) => (socketError ??= error));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const cause = socketError ?? error;
    throw new RedisUnavailableError(redactUrl(url), describeConnectError(cause), { cause });
  }
  return client;
}

/** Node's codes for a server certificate that fails verification. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);

/** A short reason for a failed connection: the error code, with the fix for an untrusted certificate. */
export function describeConnectError(error: unknown): string {
  if (!(error instanceof Error)) return 'connection failed';
  const code = (error as NodeJS.ErrnoException).code;
  if (code && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return `${code}: the server's TLS certificate is not signed by a trusted CA; set NODE_EXTRA_CA_CERTS to your CA's PEM file`;
  }
  if (code) return code;
  return error.message.split('\n')[0] ?? 'connection failed';
}

/**
 * A client for BullMQ's long-lived and blocking uses (workers, queue events): it reconnects
 * forever and is connected by BullMQ. The caller closes it after the BullMQ object using it.
 */
export function createWorkerClient(url: string): Redis {
  const { url: _url, ...options } = redisOptionsFor(url, 'worker');
  const client = new Redis(url, { ...options, lazyConnect: false });
  client.on('error', () => undefined);
  return client;
}
