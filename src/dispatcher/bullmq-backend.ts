import { QueueKeys, RedisConnection, RedisQueueBackend, type BackendFactory, type IRedisTransaction, type MoveToDelayedOpts, type RedisClient as BullRedisClient, type WorkerOptions } from 'bullmq';
import { duplicateClient, type RedisClient } from '../store/connection.js';
import type { KeyLayout } from '../core/keys.js';
import { FunctionRunner } from '../store/function-runner.js';
import { WriteBatch } from '../store/write-batch.js';
import type { ScriptArg } from '../store/scripts.js';
import { dispatcherScripts } from './scripts.js';

/**
 * Where Turbine plugs into BullMQ, through its public seam: a worker built with
 * {@link turbineBackend} fetches and finishes jobs with Turbine's scripts. Each wraps BullMQ's
 * own script of the same name (same keys, arguments and reply) and adds the tenant's step in
 * the same round trip: the fetch claims the tenant's slot or holds the task back; the finish
 * releases the slot and promotes the tenant's held tasks. Everything else is BullMQ's.
 *
 * This is the only file that knows how BullMQ's Redis backend is put together, so a BullMQ
 * upgrade that changes it touches this file alone.
 */
class TurbineQueueBackend extends RedisQueueBackend {
  constructor(
    private readonly runner: FunctionRunner,
    ...rest: ConstructorParameters<typeof RedisQueueBackend>
  ) {
    super(...rest);
  }

  /**
   * The fetch also carries the worker's lock duration as text (`ARGV[4]`, after BullMQ's 3
   * arguments), the lease of the task it claims: BullMQ packs it with its options, which
   * Turbine's step would otherwise unpack a second time (as much work as the rest of the claim's
   * reads).
   */
  override execCommand(client: BullRedisClient | IRedisTransaction, commandName: string, args: (ScriptArg | Buffer)[]): Promise<unknown> {
    if (commandName === 'moveToActive') return this.runner.run(dispatcherScripts.moveToActive, [...args, this.leaseArg()]);
    if (commandName === 'moveToFinished') return this.runner.run(dispatcherScripts.moveToFinished, args);
    return super.execCommand(client, commandName, args) as Promise<unknown>;
  }

  /**
   * The finish also carries what the worker already knows, so that Turbine's step need not read
   * the job before BullMQ may remove it, nor unpack BullMQ's options again: the tenant admission
   * charged (`ARGV[10]`, empty for a job the claim flagged as not admitted), when the run started
   * (`ARGV[11]`, BullMQ's processedOn, for the tenant's handler time), the lease of the next
   * task it fetches (`ARGV[12]`) and whether BullMQ keeps the finished job (`ARGV[13]`, "1" or
   * "0": its keepJobs count is not 0).
   */
  protected override moveToFinishedArgs(...args: Parameters<RedisQueueBackend['moveToFinishedArgs']>): ReturnType<RedisQueueBackend['moveToFinishedArgs']> {
    const [job, , , shouldRemove, target] = args;
    const opts = job.opts as { tid?: unknown; tna?: unknown };
    const tenant = opts.tna !== true && typeof opts.tid === 'string' ? opts.tid : '';
    // As BullMQ's own moveToFinishedArgs works it out.
    const workerKeep = target === 'completed' ? this.workerOpts.removeOnComplete : this.workerOpts.removeOnFail;
    const kept = this.getKeepJobs(shouldRemove, workerKeep).count !== 0;
    // BullMQ's 14 keys and 9 arguments (the last undefined when there are no fields to update,
    // sent as an empty string), then Turbine's.
    return [...super.moveToFinishedArgs(...args), tenant, job.processedOn ?? '', this.leaseArg(), kept ? '1' : '0'];
  }

  /** The worker's options: this backend only serves workers (turbineBackend). */
  private get workerOpts(): WorkerOptions {
    return this.queue.opts as WorkerOptions;
  }

  private leaseArg(): string {
    return String(this.workerOpts.lockDuration);
  }

  /**
   * A retry with backoff: BullMQ's script would also fetch the next job, past Turbine's claim.
   * The worker fetches it with Turbine's moveToActive instead (a retry is rare enough that the
   * extra round trip does not matter).
   */
  override moveToDelayed(jobId: string, timestamp: number, delay: number, token?: string, opts: MoveToDelayedOpts = {}): Promise<void | unknown[]> {
    return super.moveToDelayed(jobId, timestamp, delay, token, { ...opts, fetchNext: false });
  }
}

/**
 * A BullMQ backend factory for a Turbine worker of `pool` on `client`, for queues under the
 * layout's BullMQ prefix: BullMQ's regular connection is `client` (left open for the caller to
 * close), its blocking connection a duplicate it owns. The worker fetches from its pool's wait
 * list and blocks on its pool's marker (the queue's own for the shared pool), so it never sees
 * another pool's work; every other key is the queue's.
 */
export function turbineBackend(client: RedisClient, keys: KeyLayout, pool: string): BackendFactory<RedisQueueBackend> {
  const prefix = keys.bullPrefix();
  // A worker finishes many tasks per tick at full speed: their calls go out in fewer writes.
  const runner = new FunctionRunner(client, [dispatcherScripts.moveToActive, dispatcherScripts.moveToFinished], true, new WriteBatch(client));
  return (name, opts, options = {}) => {
    const connection = new RedisConnection(client, { shared: true, skipVersionCheck: opts.skipVersionCheck });
    const blocking = options.withBlockingConnection
      ? new RedisConnection(duplicateClient(client, 'worker', `${prefix}:${Buffer.from(name).toString('base64')}`), {
          shared: false,
          blocking: true,
          skipVersionCheck: opts.skipVersionCheck,
        })
      : undefined;
    const queueKeys = new QueueKeys(prefix);
    const poolKeys = { ...queueKeys.getKeys(name), wait: keys.poolBullKey(name, pool, 'wait'), marker: keys.poolBullKey(name, pool, 'marker') };
    return new TurbineQueueBackend(runner, connection, name, poolKeys, (type) => queueKeys.toKey(name, type), opts, blocking);
  };
}
