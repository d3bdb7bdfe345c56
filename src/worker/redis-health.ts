import { describeConnectError, type RedisClient } from '../store/connection.js';
import type { Logger } from './logger.js';
import { WriteProbe } from './write-probe.js';

/**
 * Whether the worker's Redis is usable: connected (the client's events) and taking writes (a
 * short-lived write every second: a frozen Redis keeps its sockets open, and a replica or a
 * cluster node that does not own the keys answers reads, so the connection state alone is not
 * enough). An outage logs one line per change of state (down, still down, back), not one per
 * failed command, and no stacks.
 */
export class RedisHealth {
  private connected: boolean;
  private readonly probe: WriteProbe;
  private stopped = false;
  private waitingLogged = false;
  /** The connection was up once and went down: the next 'ready' says Redis is back. */
  private lost = false;
  /** The outage's "still down" line was logged. */
  private retrying = false;
  /** "Does not take writes" was logged: its end is logged too. */
  private writesRefused = false;

  constructor(
    client: RedisClient,
    /** Where Redis is, for log lines (password redacted). */
    private readonly url: string,
    /** The write probe's keys, one per shard. */
    probeKeys: readonly string[],
    private readonly logger: Logger,
    /** Called when the connection goes down (false) or comes back (true). */
    private readonly onStatus: (ready: boolean) => void,
  ) {
    this.connected = client.status === 'ready';
    // Writes failing while the connection is down say nothing new; while it is up they mean
    // a replica, a cluster node that moved, or a full Redis: one line when that starts and ends.
    this.probe = new WriteProbe(client, probeKeys, (problem) => {
      if (this.stopped) return;
      if (problem && this.connected) {
        this.writesRefused = true;
        this.logger.warn({ backend: url, problem }, 'not ready: Redis does not take writes');
      } else if (!problem && this.writesRefused) {
        this.writesRefused = false;
        this.logger.info({ backend: url }, 'Redis takes writes; ready');
      }
    });
    client.on('ready', () => this.setConnected(true));
    client.on('close', () => this.setConnected(false));
    client.on('reconnecting', (delayMs: number) => {
      this.setConnected(false);
      if (!this.lost || this.retrying || this.stopped) return;
      this.retrying = true;
      this.logger.info({ backend: url, delayMs }, 'Redis still down; retrying until it answers');
    });
    client.on('error', (error: Error) => {
      if (this.connected || this.lost || this.waitingLogged || this.stopped) return;
      // Before the first connection: say once what is wrong, then wait quietly.
      this.waitingLogged = true;
      this.logger.warn({ backend: url, reason: describeConnectError(error) }, 'waiting for Redis; reconnecting with backoff');
    });
  }

  get ready(): boolean {
    return this.connected && this.probe.problem === null;
  }

  /** Why Redis is not usable (none when it is). /readyz may be reachable from outside the cluster: they name no host, user or secret. */
  problems(): string[] {
    const problems: string[] = [];
    if (!this.connected) problems.push('not connected to Redis');
    // Also while reconnecting: a server that answers READONLY is reconnected to, again and again.
    if (this.probe.problem) problems.push(this.probe.problem);
    return problems;
  }

  start(): void {
    this.probe.start();
  }

  stop(): void {
    this.stopped = true;
    this.probe.stop();
  }

  private setConnected(ready: boolean): void {
    if (ready === this.connected || this.stopped) return;
    this.connected = ready;
    if (ready) {
      this.logger.info({ backend: this.url }, this.lost ? 'Redis is back; consuming again' : 'connected to Redis');
      this.lost = false;
      this.retrying = false;
    } else {
      this.lost = true;
      this.logger.warn({ backend: this.url }, 'lost the connection to Redis; reconnecting with backoff');
    }
    this.onStatus(ready);
  }
}
