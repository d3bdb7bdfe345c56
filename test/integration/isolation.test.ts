import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TaskNotFoundError, TenantMismatchError } from '../../src/core/errors.js';
import { jobIdOf } from '../../src/core/task-ids.js';
import { DeadLetterNotFoundError } from '../../src/dlq/errors.js';
import { DeadLetterQueue } from '../../src/dlq/queue.js';
import { httpErrorFor } from '../../src/http/errors.js';
import type { TaskContext } from '../../src/tasks/types.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * Tenant isolation, attack by attack: each test does what a hostile (or unlucky) tenant did in
 * the security review, against a real Redis and real BullMQ jobs.
 */
let world: TestWorld;

beforeEach(() => {
  world = new TestWorld();
});

afterEach(() => world.close());

describe('caller task ids are scoped per tenant', () => {
  it('the same task id in two tenants is two tasks, each with its own result', async () => {
    const seen: string[] = [];
    const invoice = world.app.task({ name: 'invoice' }, async (who: string, ctx: TaskContext) => {
      seen.push(`${ctx.tenantId}/${ctx.taskId}`);
      return `${who}'s invoice`;
    });
    await world.tenant('acme');
    await world.tenant('globex');
    const a = await invoice.applyAsync({ args: ['acme'], tenantId: 'acme', taskId: 'invoice-2024-0042' });
    const b = await invoice.applyAsync({ args: ['globex'], tenantId: 'globex', taskId: 'invoice-2024-0042' });
    expect(a.placement).toBe('queued');
    // Before: admission answered 'duplicate' and globex's task never ran.
    expect(b.placement).toBe('queued');
    await world.startWorker();
    expect(await a.get({ timeoutMs: 10_000 })).toBe("acme's invoice");
    expect(await b.get({ timeoutMs: 10_000 })).toBe("globex's invoice");
    expect(seen.sort()).toEqual(['acme/invoice-2024-0042', 'globex/invoice-2024-0042']);
  });

  it('a duplicate is reported within one tenant only, so probing tells nothing of other tenants', async () => {
    const t = world.app.task({ name: 't' }, async () => 1);
    await world.tenant('acme');
    await world.tenant('globex');
    await t.applyAsync({ args: [], tenantId: 'acme', taskId: 'secret-id' });
    const probe = await t.applyAsync({ args: [], tenantId: 'globex', taskId: 'secret-id' });
    expect(probe.placement).not.toBe('duplicate');
    const again = await t.applyAsync({ args: [], tenantId: 'acme', taskId: 'secret-id' });
    expect(again.placement).toBe('duplicate');
  });
});

describe('task ids are never reused', () => {
  it('after the id counter rolls back (obliterate, failover), a new task gets a new id and only its own result', async () => {
    const echo = world.app.task({ name: 'echo' }, async (text: string) => text);
    await world.tenant('victim');
    await world.tenant('attacker');
    await world.startWorker();
    const old = await echo.applyAsync({ args: ['victim secret'], tenantId: 'victim' });
    expect(await old.get({ timeoutMs: 10_000 })).toBe('victim secret');
    // A failover that lost the last increments, or obliterate() of the lists: BullMQ's counter restarts.
    await world.raw.del(`${world.prefix}:q:default:id`);
    const fresh = await echo.applyAsync({ args: ['attacker data'], tenantId: 'attacker' });
    expect(fresh.taskId).not.toBe(old.taskId);
    expect(await fresh.get({ timeoutMs: 10_000 })).toBe('attacker data');
    expect(await world.app.result(old.taskId, { tenantId: 'attacker' }).status()).toBe('unknown');
    expect(await world.app.result(old.taskId, { tenantId: 'victim' }).get()).toBe('victim secret');
  });

  it('a job whose id names one tenant but whose data or charge names another is nobody\'s result', async () => {
    await world.tenant('acme');
    await world.tenant('globex');
    const queue = new Queue('default', { connection: world.raw, prefix: `${world.prefix}:q` });
    world.defer(() => queue.close());
    // Written around admission: it sits where globex's task 'forged' would be.
    await queue.add('t', { tenant_id: 'acme', args: [] }, { jobId: 'globex@forged' });
    await expect(world.app.result('forged', { tenantId: 'globex' }).get()).rejects.toThrow(TaskNotFoundError);
    await expect(world.app.result('forged', { tenantId: 'acme' }).get()).rejects.toThrow(TaskNotFoundError);
  });
});

describe('HTTP', () => {
  it("answers another tenant's task with 404 TASK_NOT_FOUND, naming no tenant", () => {
    const answer = httpErrorFor(new TenantMismatchError("Task 'send' always runs for tenant 'a'; it cannot be submitted for tenant 'b'"));
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'TASK_NOT_FOUND', message: 'Task not found' });
  });
});

describe('dead-letter entries are per tenant', () => {
  it("an entry is never overwritten, and tenant-scoped calls never see or touch another tenant's entries", async () => {
    const fails = world.app.task({ name: 'fails', retries: 0 }, async (secret: string) => {
      throw new Error(`refused ${secret}`);
    });
    await world.tenant('victim');
    await world.tenant('attacker');
    await world.startWorker();
    const victimTask = await fails.applyAsync({ args: ['victim card 4242'], tenantId: 'victim' });
    const dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix });
    world.defer(() => dlq.close());
    await pollUntil(() => dlq.count({ tenantId: 'victim' }), (n) => n === 1, { what: "victim's entry" });
    const [victimEntry] = await dlq.list({ tenantId: 'victim' });
    expect(victimEntry!.taskId).toBe(victimTask.taskId);
    // The attacker's index is made to name the victim's entry (what a reused id did before).
    await world.raw.zadd(`${world.prefix}:dlq:by-tenant:attacker`, Date.now(), victimEntry!.entryId);
    await fails.applyAsync({ args: ['attacker data'], tenantId: 'attacker', taskId: victimTask.taskId });
    await pollUntil(() => dlq.count(), (n) => n === 2, { what: "attacker's entry" });

    const attackerView = await dlq.list({ tenantId: 'attacker' });
    expect(attackerView.map((e) => e.tenantId)).toEqual(['attacker']);
    expect(JSON.stringify(attackerView)).not.toContain('4242');
    expect(await dlq.get(victimEntry!.entryId, { tenantId: 'attacker' })).toBeNull();
    await expect(dlq.replay(victimEntry!.entryId, { tenantId: 'attacker' })).rejects.toThrow(DeadLetterNotFoundError);
    expect(await dlq.remove(victimEntry!.entryId, { tenantId: 'attacker' })).toBe(false);
    // The attacker's purge removes its own entry only; its replay finds nothing of the victim's.
    expect(await dlq.purge({ tenantId: 'attacker' })).toBe(1);
    expect(await dlq.replayAll({ tenantId: 'attacker' })).toEqual([]);
    expect(await dlq.get(victimEntry!.entryId, { tenantId: 'victim' })).toMatchObject({ args: ['victim card 4242'] });
  });

  it('an entry never overwrites an existing one, whoever owns it', async () => {
    const fails = world.app.task({ name: 'fails', retries: 0 }, async () => {
      throw new Error('no');
    });
    await world.tenant('acme');
    const dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix });
    world.defer(() => dlq.close());
    const task = await fails.applyAsync({ args: [], tenantId: 'acme', taskId: 'job-7' });
    // Another tenant's entry already under the id this job's entry would take (an id reused before).
    const taken = `default:${jobIdOf('acme', 'job-7')}`;
    await world.raw.hset(`${world.prefix}:dlq:entry:${taken}`, { entry_id: taken, tenant_id: 'victim', queue: 'default', data: 'secret' });
    await world.startWorker();
    await pollUntil(() => dlq.count({ tenantId: 'acme' }), (n) => n === 1, { what: "acme's entry" });
    const [entry] = await dlq.list({ tenantId: 'acme' });
    expect(entry).toMatchObject({ entryId: `${taken}:2`, taskId: task.taskId, tenantId: 'acme' });
    expect(await world.raw.hget(`${world.prefix}:dlq:entry:${taken}`, 'tenant_id')).toBe('victim');
  });
});

describe('a manual retry of a dead-lettered job', () => {
  it('removes its entry, so that a later replay --all does not run the task again', async () => {
    let runs = 0;
    const flaky = world.app.task({ name: 'flaky', retries: 0 }, async () => {
      runs += 1;
      if (runs === 1) throw new Error('first run fails');
      return 'ok';
    });
    await world.tenant('acme');
    await world.startWorker();
    const task = await flaky.applyAsync({ args: [], tenantId: 'acme' });
    const dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix });
    world.defer(() => dlq.close());
    await pollUntil(() => dlq.count({ tenantId: 'acme' }), (n) => n === 1, { what: 'the entry' });
    const job = (await (await world.app.queue('default')).getJob(jobIdOf('acme', task.taskId)))!;
    await pollUntil(() => job.isFailed(), Boolean, { what: 'BullMQ to fail the job' });
    // What bull-board's Retry button does.
    await job.retry();
    expect(await task.get({ timeoutMs: 10_000 })).toBe('ok');
    expect(await dlq.count({ tenantId: 'acme' })).toBe(0);
    expect(await dlq.replayAll({ tenantId: 'acme' })).toEqual([]);
    expect(runs).toBe(2);
  });

  it('a retried job still queued is not replayed next to it', async () => {
    const fails = world.app.task({ name: 'fails', retries: 0 }, async () => {
      throw new Error('no');
    });
    await world.tenant('acme');
    const worker = await world.startWorker();
    const task = await fails.applyAsync({ args: [], tenantId: 'acme' });
    const dlq = new DeadLetterQueue({ backendUrl: world.url, prefix: world.prefix });
    world.defer(() => dlq.close());
    await pollUntil(() => dlq.count({ tenantId: 'acme' }), (n) => n === 1, { what: 'the entry' });
    const job = (await (await world.app.queue('default')).getJob(jobIdOf('acme', task.taskId)))!;
    await pollUntil(() => job.isFailed(), Boolean, { what: 'BullMQ to fail the job' });
    await worker.close();
    await job.retry();
    const [outcome] = await dlq.replayAll({ tenantId: 'acme' });
    expect(outcome).toMatchObject({ ok: false });
    expect(await dlq.count({ tenantId: 'acme' })).toBe(1);
  });
});
