import type { TurbineConfig } from '../config/schema.js';
import type { KeyLayout } from '../core/keys.js';
import type { RedisClient } from '../store/connection.js';
import type { WorkerEvents } from './events.js';
import type { RouteHandler } from './health.js';

/**
 * What an observer of a worker (its metrics; a tracer or a console later) may see and use:
 * a narrow view handed over by the composition root, so the worker never imports its
 * observers.
 */
export interface ObservedWorker {
  readonly id: string;
  readonly config: TurbineConfig;
  readonly keys: KeyLayout;
  /** Every shard's keys (`keys` is shard 0's). */
  readonly shards: readonly KeyLayout[];
  /** The worker's command connection (for Redis-derived readings). */
  readonly redis: RedisClient;
  /** Tasks running now in this process. */
  readonly runningCount: number;
  readinessProblems(): string[];
  on<E extends keyof WorkerEvents & string>(event: E, listener: (payload: WorkerEvents[E]) => void): unknown;
  off<E extends keyof WorkerEvents & string>(event: E, listener: (payload: WorkerEvents[E]) => void): unknown;
  /** Serves another route on the worker's health port. */
  addRoute(path: string, handler: RouteHandler): void;
}

/** Something attached to a worker for its lifetime; closed when the worker stops. */
export interface Attachment {
  close(): Promise<void>;
}
