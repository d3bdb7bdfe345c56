import type { Redis } from 'ioredis';
import { describeConnectError, redactUrl } from '../store/connection.js';
import type { Logger } from './logger.js';

const PING_EVERY_MS = 1000;
const PING_TIMEOUT_MS = 2000;

/**
 * Whether the worker's Redis is usable: connected (the client's events) and answering (a PING
 * every second; a frozen Redis keeps its sockets open, so the connection state alone is not
 * enough). An outage logs one line per change of state (down, still down, back), not one per
 * failed command, and no stacks.
 */
export class RedisHealth {
  private connected: boolean;
  private answering = false;
  private pinger: NodeJS.Timeout | null = null;
  private stopped = false;
  private waitingLogged = false;
  /** The connection was up once and went down: the next 'ready' says Redis is back. */
  private lost = false;
  /** The outage's "still down" line was logged. */
  private retrying = false;

  constructor(
    private readonly client: Redis,
    private readonly url: string,
    private readonly logger: Logger,
    /** Called when the connection goes down (false) or comes back (true). */
    private readonly onStatus: (ready: boolean) => void,
  ) {
    this.connected = client.status === 'ready';
    client.on('ready', () => this.setConnected(true));
    client.on('close', () => this.setConnected(false));
    client.on('reconnecting', (delayMs: number) => {
      this.setConnected(false);
      if (!this.lost || this.retrying || this.stopped) return;
      this.retrying = true;
      this.logger.info({ backend: redactUrl(url), delayMs }, 'Redis still down; retrying until it answers');
    });
    client.on('error', (error: Error) => {
      if (this.connected || this.lost || this.waitingLogged || this.stopped) return;
      // Before the first connection: say once what is wrong, then wait quietly.
      this.waitingLogged = true;
      this.logger.warn({ backend: redactUrl(url), reason: describeConnectError(error) }, 'waiting for Redis; reconnecting with backoff');
    });
  }

  get ready(): boolean {
    return this.connected && this.answering;
  }

  /** Why Redis is not usable, or null. */
  problem(): string | null {
    // /readyz may be reachable from outside the cluster: it names no host, user or secret.
    return this.ready ? null : 'not connected to Redis';
  }

  start(): void {
    let inFlight = false;
    this.pinger = setInterval(() => {
      if (inFlight) return;
      inFlight = true;
      const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), PING_TIMEOUT_MS).unref());
      void Promise.race([this.client.ping().then(() => true, () => false), timeout]).then((answered) => {
        inFlight = false;
        if (answered === this.answering) return;
        this.answering = answered;
        if (!answered && this.connected && !this.stopped) this.logger.warn('Redis does not answer PING; not ready');
      });
    }, PING_EVERY_MS);
    this.pinger.unref();
    void this.client.ping().then(() => (this.answering = true), () => undefined);
  }

  stop(): void {
    this.stopped = true;
    if (this.pinger) clearInterval(this.pinger);
  }

  private setConnected(ready: boolean): void {
    if (ready === this.connected || this.stopped) return;
    this.connected = ready;
    if (ready) {
      this.logger.info({ backend: redactUrl(this.url) }, this.lost ? 'Redis is back; consuming again' : 'connected to Redis');
      this.lost = false;
      this.retrying = false;
    } else {
      this.lost = true;
      this.logger.warn({ backend: redactUrl(this.url) }, 'lost the connection to Redis; reconnecting with backoff');
    }
    this.onStatus(ready);
  }
}
