import { coerceError } from '../core/errors.js';
import type { MetricsSnapshot } from './snapshot.js';

export interface RefresherOptions {
  intervalMs: number;
  /** A read slower than this counts as failed and the gauges are cleared meanwhile. */
  timeoutMs: number;
  /** False while Redis is not connected: nothing is read and the gauges are cleared. */
  canRead: () => boolean;
  /** One snapshot, or null when this replica is not the one that exports. */
  read: () => Promise<MetricsSnapshot | null>;
  apply: (snapshot: MetricsSnapshot) => void;
  clear: () => void;
  /** After each refresh: whether this replica exported, how long the read took (if one was made), or why it failed. */
  report: (result: { exported: boolean; durationMs?: number; error?: Error }) => void;
}

/**
 * Refreshes the Redis-derived gauges on an interval, off the scrape path, so that a scrape
 * never waits on Redis (and still answers while Redis is away, which is when `/metrics`
 * matters most). At most one read is in flight: while Redis hangs, reads do not pile up in
 * the client's offline queue.
 */
export class GaugeRefresher {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> | null = null;
  private stopped = false;

  constructor(private readonly options: RefresherOptions) {}

  start(): void {
    if (this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One refresh (the timer calls it; tests call it directly). */
  async tick(): Promise<void> {
    if (this.inFlight || this.stopped) return;
    const { options } = this;
    if (!options.canRead()) {
      options.clear();
      options.report({ exported: false });
      return;
    }
    const started = Date.now();
    const reading = options.read();
    const settled = reading.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight = settled;
    void settled.then(() => {
      if (this.inFlight === settled) this.inFlight = null;
    });
    try {
      const snapshot = await withTimeout(reading, options.timeoutMs);
      if (this.stopped) return;
      if (snapshot) options.apply(snapshot);
      else options.clear();
      options.report({ exported: snapshot !== null, durationMs: Date.now() - started });
    } catch (error) {
      options.clear();
      options.report({ exported: false, durationMs: Date.now() - started, error: coerceError(error) });
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`metrics snapshot took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
