import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobIdOf } from '../../src/core/task-ids.js';
import { DeadLetterQueue } from '../../src/dlq/queue.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

/** Jobs that reach a worker without, or around, admission: none runs, each is dead-lettered with why. */
let world: TestWorld;
let dlq: DeadLetterQueue;
let plain: Queue;

beforeEach(() => {
  world = new TestWorld();
  dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix });
  plain = new Queue('default', { connection: world.raw, prefix: `${world.prefix}:q` });
  world.defer(() => Promise.all([dlq.close(), plain.close()]));
});

afterEach(() => world.close());

async function entryReasons(): Promise<string[]> {
  return (await dlq.list()).map((e) => e.reason).sort();
}

describe('the worker checks admission', () => {
  it('dead-letters a job added with plain BullMQ (any tenant, forged options) as not_admitted, without running it or charging anyone', async () => {
    const ran: string[] = [];
    world.app.task({ name: 'work' }, async (who: string) => ran.push(who));
    await world.tenant('acme', { maxConcurrentTasks: 1 });
    await plain.add('work', { tenant_id: 'acme', args: ['plain add'] });
    // Even with the options admission writes, copied by hand.
    await plain.add('work', { tenant_id: 'acme', args: ['forged'] }, { jobId: 'acme@forged', tid: 'acme' } as never);
    // A tenant id that is not valid would break key isolation if a key were built from it.
    await plain.add('work', { tenant_id: 'x:y*', args: ['bad id'] });
    await world.startWorker();
    await pollUntil(entryReasons, (r) => r.length === 3, { what: 'three entries' });
    expect(await entryReasons()).toEqual(['not_admitted', 'not_admitted', 'not_admitted']);
    expect(ran).toEqual([]);
    expect(await world.manager.getTenantStats('acme')).toMatchObject({ concurrentTasks: 0, totalTasks: 0 });
    expect(await world.raw.keys(`${world.prefix}:tenant:x*`)).toEqual([]);
  });

  it('dead-letters a task whose data names another tenant than the one charged, as tenant_mismatch, and frees the slot', async () => {
    const ran: string[] = [];
    const work = world.app.task({ name: 'work' }, async (who: string) => ran.push(who));
    await world.tenant('acme', { maxConcurrentTasks: 1 });
    await world.tenant('globex');
    const held = await work.applyAsync({ args: ['victim'], tenantId: 'acme' });
    // Someone rewrites the job's data through BullMQ to run it as globex, on acme's quota.
    const job = (await (await world.app.queue('default')).getJob(jobIdOf('acme', held.taskId)))!;
    await job.updateData({ tenant_id: 'globex', args: ['hijacked'] });
    await world.startWorker();
    await pollUntil(entryReasons, (r) => r.length === 1, { what: 'the entry' });
    expect(await entryReasons()).toEqual(['tenant_mismatch']);
    expect((await dlq.list())[0]).toMatchObject({ tenantId: 'acme' });
    expect(ran).toEqual([]);
    // acme's slot is free again: its next task runs.
    const next = await work.applyAsync({ args: ['next'], tenantId: 'acme' });
    await next.get({ timeoutMs: 10_000 });
    expect(ran).toEqual(['next']);
  });

  it('tells a tenant that never existed from a deleted one', async () => {
    const work = world.app.task({ name: 'work' }, async () => 1);
    await world.tenant('gone');
    await world.tenant('ghost');
    await work.applyAsync({ args: [], tenantId: 'gone' });
    await work.applyAsync({ args: [], tenantId: 'ghost' });
    await world.manager.deleteTenant('gone', { force: true });
    // 'ghost' leaves no trace at all, as if its configuration had never been written.
    for (const key of await world.raw.keys(`${world.prefix}:tenant:ghost*`)) await world.raw.del(key);
    await world.startWorker();
    await pollUntil(entryReasons, (r) => r.length === 2, { what: 'two entries' });
    const byTenant = Object.fromEntries((await dlq.list()).map((e) => [e.tenantId, e.reason]));
    expect(byTenant).toEqual({ gone: 'tenant_deleted', ghost: 'tenant_not_found' });
  });
});
