import { Worker, type Job } from 'bullmq';
import type { TurbineConfig } from '../config/schema.js';
import { decodeTask } from '../core/envelope.js';
import { coerceError } from '../core/errors.js';
import type { KeyLayout } from '../core/keys.js';
import { turbineBackend } from '../dispatcher/bullmq-backend.js';
import type { SlotClient, SlotRef } from '../dispatcher/release.js';
import { createWorkerClient, type RedisClient } from '../store/connection.js';
import type { WorkerEvents } from './events.js';
import type { Logger } from './logger.js';
import { runningKey, type RunningTask, type TaskProcessor } from './processor.js';

export interface ConsumerDeps {
  /** What every connection is derived from: the backend URL, or a client passed in. */
  source: string | RedisClient;
  config: TurbineConfig;
  keys: KeyLayout;
  processor: TaskProcessor;
  slots: SlotClient;
  running: ReadonlyMap<string, RunningTask>;
  logger: Logger;
  emit: <E extends keyof WorkerEvents & string>(event: E, payload: WorkerEvents[E]) => void;
  reportError: (error: Error, queue?: string) => void;
}

/** A BullMQ worker consuming one queue, and the connection it runs on. */
export interface Consumer {
  worker: Worker;
  connection: RedisClient;
}

/**
 * Starts consuming `queue`: a BullMQ worker on a connection of its own, fetching (from the wait
 * list of the worker's pool) and finishing through Turbine's backend, with each task's lease
 * renewed with its lock.
 */
export function startConsumer(queue: string, deps: ConsumerDeps): Consumer {
  const { config, keys, processor, slots, running } = deps;
  const connection = createWorkerClient(deps.source);
  // Two parameters: BullMQ then makes no AbortController per job (the processor has its own, lazily).
  const worker = new Worker(
    queue,
    (job, token) => processor.process(job, token ?? ''),
    {
      connection,
      prefix: keys.bullPrefix(),
      concurrency: config.concurrency,
      lockDuration: config.lockDurationMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
      autorun: true,
    },
    turbineBackend(connection, keys, config.pool),
  );
  worker.on('error', (error) => deps.reportError(error, queue));
  worker.on('locksRenewed', ({ jobIds }) => {
    const refs = jobIds.map((id) => running.get(runningKey(queue, id))?.ref).filter((ref): ref is SlotRef => ref !== undefined);
    slots.renew(refs).catch((error: unknown) => deps.reportError(coerceError(error), queue));
  });
  worker.on('failed', (job) => {
    // A job whose workers died too often while running it (BullMQ's maxStalledCount) carries
    // a deferred failure, and BullMQ fails it without calling the processor.
    if (job?.deferredFailure) {
      deadLetterStalled(job, deps).catch((error: unknown) => deps.reportError(coerceError(error), queue));
    }
  });
  return { worker, connection };
}

/** The stalled job's outcome goes through the same release as every other run's. */
async function deadLetterStalled(job: Job, deps: ConsumerDeps): Promise<void> {
  let tenantId = '';
  try {
    tenantId = decodeTask(job.data).tenant_id;
  } catch {
    // Unknown tenant: the entry is still written, without a tenant.
  }
  const ref = { tenantId, queue: job.queueName, jobId: job.id! };
  const error = { message: job.deferredFailure ?? 'stalled', stack: '' };
  await deps.slots.settle(ref, { kind: 'dead', reason: 'stalled', attemptsMade: job.attemptsMade, error });
  const about = { tenantId, queue: job.queueName, task: job.name, taskId: job.id! };
  deps.emit('task:dead-lettered', { ...about, reason: 'stalled' });
  deps.emit('task:finished', { ...about, outcome: 'dead_lettered', durationMs: null });
  deps.logger.warn({ ...about, reason: 'stalled' }, 'task dead-lettered: its workers died too often while running it');
}
