import path from 'node:path';
import { Redis } from 'ioredis';
import { Turbine, TenantManager, type TaskDefinition } from '../../../src/index.js';
import { readProbeEvents, type ProbeEvent } from '../../../test/helpers/probe.js';
import { RedisServer } from '../../../test/helpers/redis-server.js';
import { FIXTURES, TurbineWorkerProcess } from '../../lib/processes.js';
import { uniqueName } from '../../lib/world.js';

export const CHAOS_APP = path.join(FIXTURES, 'chaos-app.mjs');

/** The producer side of test/fixtures/chaos-app.mjs's tasks (same names, queue and retries). */
export interface ChaosTasks {
  record: TaskDefinition<[string, number], string>;
  throwNonError: TaskDefinition<[string], never>;
  hang: TaskDefinition<[], never>;
  /** A task no worker knows. */
  ghost: TaskDefinition<[number], never>;
}

/**
 * A scenario's world: a `redis-server` of its own (so it can be restarted or frozen), a key
 * prefix, a producer app, a tenant manager and the worker processes started for it.
 */
export class ChaosEnv {
  readonly prefix = uniqueName('chaos');
  readonly app: Turbine;
  readonly manager: TenantManager;
  readonly raw: Redis;
  readonly tasks: ChaosTasks;
  readonly workers: TurbineWorkerProcess[] = [];

  private constructor(readonly server: RedisServer) {
    // Scenarios count finished tasks in BullMQ's completed and failed sets: they must keep all
    // of a scenario's tasks (the default keeps 10 000 per queue, and kill-workers runs 20 000).
    this.app = new Turbine({ backendUrl: server.url, prefix: this.prefix, results: { keepCompletedCount: 100_000, keepFailedCount: 100_000 } });
    this.manager = new TenantManager({ backendUrl: server.url, prefix: this.prefix, actor: 'chaos' });
    this.raw = new Redis(server.url, { maxRetriesPerRequest: null });
    this.raw.on('error', () => undefined);
    this.tasks = {
      record: this.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _ms: number) => id),
      throwNonError: this.app.task({ name: 'throw_non_error', queue: 'work', retries: 2, backoff: 10 }, async (_kind: string) => {
        throw new Error('runs in the worker');
      }),
      hang: this.app.task({ name: 'hang', queue: 'work', retries: 1, backoff: 10 }, async () => {
        throw new Error('runs in the worker');
      }),
      ghost: this.app.task({ name: 'ghost', queue: 'work', retries: 0 }, async (_n: number) => {
        throw new Error('no worker has it');
      }),
    };
  }

  /** `redisArgs` are redis-server options, such as `--appendonly yes`. */
  static async start(redisArgs: string[] = []): Promise<ChaosEnv> {
    return new ChaosEnv(await RedisServer.start(redisArgs));
  }

  get url(): string {
    return this.server.url;
  }

  async startWorker(args: string[] = [], logLevel = 'warn'): Promise<TurbineWorkerProcess> {
    const worker = await TurbineWorkerProcess.start({ url: this.url, prefix: this.prefix, app: CHAOS_APP, args, logLevel });
    this.workers.push(worker);
    return worker;
  }

  events(): Promise<ProbeEvent[]> {
    return readProbeEvents(this.raw, this.prefix);
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.kill('SIGKILL');
    await Promise.all(this.workers.map((w) => w.exited));
    await this.app.close().catch(() => undefined);
    await this.manager.close().catch(() => undefined);
    this.raw.disconnect();
    await this.server.close();
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so that a failing run can be replayed by its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Polls `test` until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(test: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
