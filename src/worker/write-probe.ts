import type { RedisClient } from '../store/connection.js';

const PROBE_EVERY_MS = 1000;
const PROBE_TIMEOUT_MS = 2000;
const PROBE_TTL_MS = 10_000;

/**
 * Whether Redis takes Turbine's writes, checked every second with a `SET` of a short-lived key
 * under the prefix: a PING is answered by a replica after a failover, by a cluster node that
 * does not own Turbine's slot, and by a primary that refuses writes, all of which leave a
 * worker that only pings "ready" while every task fails. Each shard has a key with its hash tag, so
 * on a cluster a write goes to each primary that holds a shard of Turbine's keys.
 */
export class WriteProbe {
  /** Why the last write failed; null once a write succeeded. */
  problem: string | null = 'no write to Redis has succeeded yet';
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  constructor(
    private readonly client: RedisClient,
    /** One key per shard: on a cluster each shard's slot may be on another primary. */
    private readonly keys: readonly string[],
    private readonly onChange: (problem: string | null) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), PROBE_EVERY_MS);
    this.timer.unref();
    // At once on (re)connection, so that readiness follows Redis coming back without a delay.
    this.client.on('ready', this.checkNow);
    void this.check();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.client.off('ready', this.checkNow);
  }

  private readonly checkNow = (): void => void this.check();

  private async check(): Promise<void> {
    // While disconnected the worker is not ready anyway; a write now would only wait in the
    // client's offline queue, one more each second.
    if (this.inFlight || this.client.status !== 'ready') return;
    this.inFlight = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`Redis did not answer a write within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    });
    const write = Promise.all(
      this.keys.map((key) =>
        this.client.set(key, String(Date.now()), 'PX', PROBE_TTL_MS).then(
          () => null,
          (error: unknown) => describeWriteError(error),
        ),
      ),
    ).then((problems) => problems.find((p) => p !== null) ?? null);
    const problem = await Promise.race([write, timeout]);
    clearTimeout(timer);
    this.inFlight = false;
    if (problem !== this.problem) {
      this.problem = problem;
      this.onChange(problem);
    }
  }
}

/** Why a write failed, for /readyz and the logs: the Redis error named, with what it means. */
export function describeWriteError(error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
  const code = /^[A-Z]+/.exec(message)?.[0];
  switch (code) {
    case 'READONLY':
      return 'Redis is a read-only replica (READONLY): waiting to reach the primary after a failover';
    case 'MOVED':
    case 'ASK':
      return `Redis Cluster redirects Turbine's keys (${code}): connect with redis+cluster://host:port,… instead of one node's URL`;
    case 'CLUSTERDOWN':
      return 'Redis Cluster is down (CLUSTERDOWN): a slot has no reachable primary';
    case 'NOREPLICAS':
      return 'Redis refuses writes (NOREPLICAS): fewer replicas connected than min-replicas-to-write';
    case 'OOM':
      return 'Redis is out of memory and refuses writes (OOM): raise maxmemory or drain queues';
    case 'MASTERDOWN':
      return 'Redis lost its primary (MASTERDOWN)';
    case 'LOADING':
      return 'Redis is loading its data (LOADING)';
    default:
      return `Redis refused a write: ${message || 'unknown error'}`;
  }
}
