import { InvalidArgumentError } from '../core/errors.js';

/**
 * Where Turbine's Redis is, read from one URL, whatever the deployment:
 * - `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS): one server;
 * - `redis+sentinel://[user:pass@]host[:port][,host[:port]…]/<master-name>[/db]`: the primary
 *   that the sentinels name, followed across failovers;
 * - `redis+cluster://[user:pass@]host[:port][,host[:port]…]`: a Redis Cluster, found from any of
 *   its nodes;
 * - `rediss+sentinel://`, `rediss+cluster://`: the same over TLS.
 * The user and password are the data nodes'. Sentinels that require their own take
 * `?sentinel_username=…&sentinel_password=…`.
 */
export type BackendEndpoint = StandaloneEndpoint | SentinelEndpoint | ClusterEndpoint;

export interface HostPort {
  host: string;
  port: number;
}

interface EndpointBase {
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
}

export interface StandaloneEndpoint extends EndpointBase {
  kind: 'standalone';
  /** The URL as given: ioredis reads it itself, with any option it knows in the query. */
  url: string;
}

export interface SentinelEndpoint extends EndpointBase {
  kind: 'sentinel';
  sentinels: HostPort[];
  masterName: string;
  db: number;
  sentinelUsername: string | undefined;
  sentinelPassword: string | undefined;
}

export interface ClusterEndpoint extends EndpointBase {
  kind: 'cluster';
  nodes: HostPort[];
}

export const URL_FORMS =
  'redis://[user:password@]host[:port][/db], redis+sentinel://[user:password@]host:port[,host:port…]/<master-name>[/db] ' +
  'or redis+cluster://host:port[,host:port…] (rediss… for TLS)';

const URL_RE = /^(rediss?)(?:\+(sentinel|cluster))?:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/;
const DEFAULT_PORT = { standalone: 6379, sentinel: 26379, cluster: 6379 } as const;
const SENTINEL_QUERY = new Set(['sentinel_username', 'sentinel_password']);

/** Reads a backend URL, or raises {@link InvalidArgumentError} saying what is wrong and the forms allowed. */
export function parseBackendUrl(url: string): BackendEndpoint {
  const refuse = (reason: string): never => {
    throw new InvalidArgumentError(`Invalid backend URL '${redactUrl(url)}': ${reason}; expected ${URL_FORMS}`);
  };
  const match = URL_RE.exec(url.trim());
  if (!match) {
    const scheme = /^([a-z0-9+.-]+):\/\//i.exec(url)?.[1];
    return refuse(scheme ? `unknown scheme '${scheme}://'` : 'not a URL');
  }
  const [, scheme, mode, userinfo, hostList, path = '', query = ''] = match;
  const kind = (mode ?? 'standalone') as BackendEndpoint['kind'];
  const tls = scheme === 'rediss';
  const { username, password } = readUserinfo(userinfo, refuse);
  const hosts = hostList!.split(',').map((entry) => readHostPort(entry, DEFAULT_PORT[kind], refuse));
  const segments = path.split('/').filter((s) => s !== '');
  const params = new URLSearchParams(query);

  if (kind === 'standalone') {
    if (hosts.length > 1) refuse('several hosts need redis+sentinel:// or redis+cluster://');
    if (segments.length > 1 || (segments[0] !== undefined && !isDb(segments[0]))) refuse(`'${path}' is not a database number`);
    return { kind, url: url.trim(), tls, username, password };
  }
  if (kind === 'cluster') {
    if (segments.length > 0) refuse('a cluster has no database or master name in the path (Redis Cluster only has db 0)');
    if (query) refuse('a cluster URL takes no query options');
    return { kind, nodes: hosts, tls, username, password };
  }
  const [masterName, db = '0', ...extra] = segments;
  if (!masterName) refuse('name the master after the hosts, as the sentinels know it: /mymaster');
  if (extra.length > 0 || !isDb(db)) refuse(`'${path}' is not /<master-name>[/db]`);
  for (const key of params.keys()) {
    if (!SENTINEL_QUERY.has(key)) refuse(`unknown option '${key}' (known: ${[...SENTINEL_QUERY].join(', ')})`);
  }
  return {
    kind,
    sentinels: hosts,
    masterName: decodeURIComponent(masterName!),
    db: Number(db),
    tls,
    username,
    password,
    sentinelUsername: params.get('sentinel_username') ?? undefined,
    sentinelPassword: params.get('sentinel_password') ?? undefined,
  };
}

/** What is wrong with a backend URL (without the URL itself), or null when it is well formed. */
export function backendUrlProblem(url: string): string | null {
  try {
    parseBackendUrl(url);
    return null;
  } catch (error) {
    return (error as Error).message.replace(/^Invalid backend URL '[^']*': /, '');
  }
}

function isDb(segment: string): boolean {
  return /^\d{1,5}$/.test(segment);
}

function readUserinfo(
  userinfo: string | undefined,
  refuse: (reason: string) => never,
): { username: string | undefined; password: string | undefined } {
  if (userinfo === undefined) return { username: undefined, password: undefined };
  const colon = userinfo.indexOf(':');
  const decode = (text: string): string | undefined => {
    if (text === '') return undefined;
    try {
      return decodeURIComponent(text);
    } catch {
      return refuse('the user or password has a bad %-escape; percent-encode reserved characters');
    }
  };
  if (colon < 0) return { username: decode(userinfo), password: undefined };
  return { username: decode(userinfo.slice(0, colon)), password: decode(userinfo.slice(colon + 1)) };
}

function readHostPort(entry: string, defaultPort: number, refuse: (reason: string) => never): HostPort {
  // `[::1]:6379` for IPv6, `host:6379` or `host` otherwise.
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(entry);
  if (!match) return refuse(entry === '' ? 'a host is missing' : `'${entry}' is not host[:port]`);
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65_535) refuse(`port ${port} is out of range`);
  return { host: (match[1] ?? match[2])!, port };
}

/**
 * Query parameters that carry a credential. ioredis reads its options from the query too
 * (`redis://host:6379/0?password=…`), so a secret can hide there as well as before the `@`.
 */
const SECRET_PARAM_RE = /pass|secret|token|key|auth|cred/i;

/**
 * The URL with every credential replaced, for logs and error messages: the password before the
 * `@` (of every URL form, several hosts included), and any query parameter that carries one.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([a-z0-9+.-]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
    .replace(/([?&])([^=&#]+)=([^&#]*)/g, (param: string, sep: string, name: string) =>
      SECRET_PARAM_RE.test(name) ? `${sep}${name}=***` : param,
    );
}
