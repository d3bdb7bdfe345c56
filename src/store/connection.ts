import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisUnavailableError } from '../core/errors.js';
import { parseBackendUrl, type BackendEndpoint } from './endpoint.js';

export { redactUrl } from './endpoint.js';

/** A connection to Turbine's Redis: one server (directly or through Sentinel) or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

export const DEFAULT_BACKEND_URL = 'redis://localhost:6379';

/** `TURBINE_BACKEND_URL`, else the Python SDK's default. */
export function resolveBackendUrl(explicit?: string): string {
  return explicit ?? process.env.TURBINE_BACKEND_URL ?? DEFAULT_BACKEND_URL;
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

const CONNECT_TIMEOUT_MS = 5000;
const backoff = (times: number): number => Math.min(200 * 2 ** Math.min(times, 5), 5000);

function profileOptions(profile: ConnectionProfile): { maxRetriesPerRequest: number | null; enableOfflineQueue: boolean } {
  return profile === 'worker'
    ? { maxRetriesPerRequest: null, enableOfflineQueue: true }
    : { maxRetriesPerRequest: 1, enableOfflineQueue: false };
}

/**
 * A server that has become a replica (a failover behind a fixed address, or a Sentinel primary
 * demoted) answers writes with READONLY: reconnect, which asks the sentinels (or DNS) again.
 * The command itself fails with READONLY rather than being resent: on an address that stays a
 * replica a resent command would wait forever, where its error says what is wrong.
 */
const reconnectOnReadonly = (error: Error): boolean => /^READONLY/.test(error.message);

/**
 * A client for `url` in `profile`. `command` clients wait for `connect()` (`lazyConnect`);
 * `worker` clients connect at once and keep retrying, as BullMQ expects of the connections it
 * is given.
 */
export function createClient(url: string, profile: ConnectionProfile): RedisClient {
  return clientFor(parseBackendUrl(url), profile);
}

function clientFor(endpoint: BackendEndpoint, profile: ConnectionProfile): RedisClient {
  const lazyConnect = profile === 'command';
  const common: RedisOptions = {
    lazyConnect,
    connectTimeout: CONNECT_TIMEOUT_MS,
    username: endpoint.username,
    password: endpoint.password,
  };
  switch (endpoint.kind) {
    case 'standalone':
      // ioredis reads the URL itself (user, password, db, TLS and query options).
      return new Redis(endpoint.url, {
        lazyConnect,
        connectTimeout: CONNECT_TIMEOUT_MS,
        retryStrategy: backoff,
        reconnectOnError: reconnectOnReadonly,
        ...profileOptions(profile),
      });
    case 'sentinel':
      return new Redis({
        ...common,
        sentinels: endpoint.sentinels,
        name: endpoint.masterName,
        db: endpoint.db,
        sentinelUsername: endpoint.sentinelUsername,
        sentinelPassword: endpoint.sentinelPassword,
        ...(endpoint.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        // Sentinels announce a failover on +switch-master: reconnect to the new primary at once
        // instead of writing to the demoted one until READONLY.
        failoverDetector: true,
        retryStrategy: backoff,
        reconnectOnError: reconnectOnReadonly,
        ...profileOptions(profile),
      });
    case 'cluster': {
      const { maxRetriesPerRequest, enableOfflineQueue } = profileOptions(profile);
      const options: ClusterOptions = {
        lazyConnect,
        enableOfflineQueue,
        clusterRetryStrategy: backoff,
        redisOptions: {
          connectTimeout: CONNECT_TIMEOUT_MS,
          username: endpoint.username,
          password: endpoint.password,
          maxRetriesPerRequest,
          ...(endpoint.tls ? { tls: {} } : {}),
        },
        // Certificates name the hosts as given, not the addresses they resolve to.
        ...(endpoint.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
      };
      return new Cluster(endpoint.nodes, options);
    }
  }
}

/**
 * Another client to the same Redis as `client`, in `profile` (connecting as
 * {@link createClient} says): for BullMQ's blocking connections, subscribers and QueueEvents,
 * derived from the one connection configured (a URL or a client passed in).
 */
export function duplicateClient(client: RedisClient, profile: ConnectionProfile, connectionName?: string): RedisClient {
  const { maxRetriesPerRequest, enableOfflineQueue } = profileOptions(profile);
  const lazyConnect = profile === 'command';
  if (client instanceof Cluster) {
    return client.duplicate([], {
      lazyConnect,
      enableOfflineQueue,
      redisOptions: { ...client.options.redisOptions, maxRetriesPerRequest, ...(connectionName ? { connectionName } : {}) },
    });
  }
  return client.duplicate({ lazyConnect, maxRetriesPerRequest, enableOfflineQueue, ...(connectionName ? { connectionName } : {}) });
}

/** True when `client` is a Redis Cluster client. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * Connects a client made by {@link createClient} or {@link duplicateClient} and waits until it
 * is ready. A `command` client that cannot connect raises {@link RedisUnavailableError} naming
 * `description` (the URL, password redacted) instead of hanging.
 */
export async function connectClient(client: RedisClient, description: string): Promise<RedisClient> {
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
    throw new RedisUnavailableError(description, describeConnectError(cause), { cause });
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
 * A client for BullMQ's long-lived and blocking uses (workers, queue events), from a URL or
 * derived from a client passed in: it reconnects forever and is connected by BullMQ. The
 * caller closes it after the BullMQ object using it.
 */
export function createWorkerClient(source: string | RedisClient): RedisClient {
  const client = typeof source === 'string' ? createClient(source, 'worker') : duplicateClient(source, 'worker');
  client.on('error', () => undefined);
  return client;
}
