import { Queue } from 'bullmq';
import { DeadLetterQueue, type BulkItemResult, type DeadLetterEntry } from '../../../src/index.js';
import { sleep } from '../../lib/stats.js';
import { ChaosEnv } from '../lib/env.js';
import { endedCounts, runsOf } from '../lib/runs.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface PoisonParams {
  total: number;
  /** Share of the total for each of the four kinds of poison. */
  sharePerKind: number;
  workers: number;
  concurrency: number;
  lockMs: number;
  reconcilerMs: number;
  timeoutMs: number;
}

/** Job data that is not a Turbine envelope, as a producer bypassing Turbine could write it. */
const UNDECODABLE: unknown[] = ['not json at all {', 42, null, [1, 2], { args: [1] }, { tenant_id: 'good', args: 'not-a-list' }, { tenant_id: 7, args: [] }];
const NON_ERRORS = ['string', 'number', 'object', 'null', 'undefined'];

/**
 * 4. A mix of poison among good tasks: unknown task names, undecodable payloads (added with plain
 * BullMQ, bypassing Turbine), handlers that throw something that is not an Error, and handlers
 * that hang past their timeout. Must hold: each poison task is in the dead-letter queue with
 * its reason, every good task completes exactly once, and no slot is left behind.
 */
export const poison: Scenario<PoisonParams> = {
  name: 'poison',
  summary: 'unknown task names, undecodable payloads, non-Error throws and hung handlers among good tasks',
  profiles: {
    short: { total: 400, sharePerKind: 0.05, workers: 2, concurrency: 20, lockMs: 2000, reconcilerMs: 500, timeoutMs: 60_000 },
    full: { total: 4000, sharePerKind: 0.05, workers: 3, concurrency: 50, lockMs: 2000, reconcilerMs: 500, timeoutMs: 300_000 },
  },
  async run(p, log) {
    const rec = new Recorder('poison', log);
    const env = await ChaosEnv.start();
    const bull = new Queue('work', { connection: env.raw, prefix: env.app.keys.bullPrefix() });
    const dlq = new DeadLetterQueue({ backendUrl: env.url, prefix: env.prefix });
    try {
      await env.manager.createTenant({ tenantId: 'good', name: 'Good', quotas: { maxConcurrentTasks: 15 } });
      const perKind = Math.round(p.total * p.sharePerKind);
      const good = p.total - 4 * perKind;
      const expected = new Map<string, string>();
      const expect = (taskIds: string[], reason: string): void => taskIds.forEach((id) => expected.set(id, reason));
      const ids = (results: BulkItemResult<unknown>[]): string[] => results.map((r) => (r.ok ? r.result.taskId : 'refused'));

      const goodIds = Array.from({ length: good }, (_, i) => `g-${i}`);
      // Interleaved, so that poison arrives while good work runs.
      for (let k = 0; k < perKind; k++) {
        const slice = goodIds.slice(Math.floor((k * good) / perKind), Math.floor(((k + 1) * good) / perKind));
        await env.tasks.record.applyBulk(slice.map((id) => ({ args: [id, 5] as [string, number], tenantId: 'good' })));
        expect(ids(await env.tasks.ghost.applyBulk([{ args: [k], tenantId: 'good' }])), 'unknown_task');
        expect(ids(await env.tasks.throwNonError.applyBulk([{ args: [NON_ERRORS[k % NON_ERRORS.length]!], tenantId: 'good' }])), 'non_error_thrown');
        expect(ids(await env.tasks.hang.applyBulk([{ args: [], tenantId: 'good' }])), 'timeout');
        const job = await bull.add('record', UNDECODABLE[k % UNDECODABLE.length], { attempts: 1 });
        expect([job.id!], 'undecodable_payload');
        if (k === 0) {
          const args = ['--concurrency', String(p.concurrency), '--lock-duration-ms', String(p.lockMs), '--reconciler-interval-ms', String(p.reconcilerMs)];
          await Promise.all(Array.from({ length: p.workers }, () => env.startWorker(args)));
        }
      }
      rec.inject(`${perKind} unknown task names, ${perKind} undecodable payloads, ${perKind} non-Error throws, ${perKind} hung handlers among ${good} good tasks`);
      rec.check(!expected.has('refused'), 'a poison task was refused at submission');

      const readEntries = async (): Promise<DeadLetterEntry[]> => dlq.list({ limit: 10_000 });
      const deadline = Date.now() + p.timeoutMs;
      let ended = endedCounts(runsOf(await env.events()));
      let entries = await readEntries();
      while ((ended.size < good || entries.length < expected.size) && Date.now() < deadline) {
        await sleep(250);
        ended = endedCounts(runsOf(await env.events()));
        entries = await readEntries();
      }
      const byTask = new Map(entries.map((e) => [e.taskId, e]));
      const wrong = [...expected].filter(([id, reason]) => byTask.get(id)?.reason !== reason);
      const unexpected = entries.filter((e) => !expected.has(e.taskId));
      const notOnce = goodIds.filter((id) => ended.get(id) !== 1);
      // Slots of dead-lettered tasks must be released (or reclaimed within a lease and a pass).
      const settleBy = Date.now() + p.lockMs + p.reconcilerMs + 1500;
      const slotsKey = env.manager.keys.slots('good', 'work');
      while ((await env.raw.zcard(slotsKey)) > 0 && Date.now() < settleBy) await sleep(100);
      const slotsLeft = await env.raw.zcard(slotsKey);
      Object.assign(rec.counts, {
        submitted: p.total,
        good,
        completed: goodIds.length - notOnce.filter((id) => !ended.has(id)).length,
        duplicated: notOnce.filter((id) => (ended.get(id) ?? 0) > 1).length,
        poison: expected.size,
        deadLettered: entries.length,
        wrongReason: wrong.length,
        slotsLeft,
      });
      for (const [id, reason] of wrong.slice(0, 10)) {
        rec.check(false, `task ${id}: expected in the DLQ with reason ${reason}, found ${byTask.get(id)?.reason ?? 'no entry'}`);
      }
      rec.check(unexpected.length === 0, `${unexpected.length} good task(s) dead-lettered: ${unexpected.slice(0, 3).map((e) => `${e.taskId} (${e.reason})`).join(', ')}`);
      rec.check(notOnce.length === 0, `${notOnce.length} good task(s) not completed exactly once: ${notOnce.slice(0, 5).join(', ')}`);
      rec.check(slotsLeft === 0, `${slotsLeft} slot(s) of the tenant still taken ${p.lockMs + p.reconcilerMs + 1500} ms after the last task`);
    } finally {
      await bull.close();
      await dlq.close();
      await env.close();
    }
    return rec.report();
  },
};
