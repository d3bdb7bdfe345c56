import { Queue, Worker } from 'bullmq';
import { DeadLetterQueue } from '../../../src/index.js';
import { jobIdOf } from '../../../src/core/task-ids.js';
import { sleep } from '../../lib/stats.js';
import { ChaosEnv, seededRandom } from '../lib/env.js';
import { endedCounts, runsOf } from '../lib/runs.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface OperatorParams {
  /** Tasks per tenant. */
  tasks: number;
  /** Operator actions, one every `actionEveryMs`. */
  actions: number;
  actionEveryMs: number;
  cap: number;
  concurrency: number;
  reconcilerMs: number;
  timeoutMs: number;
  seed: number;
}

/**
 * 8. An operator uses BullMQ's tools on Turbine's queue under load: removes random jobs
 * (waiting or held), cleans and drains the wait list, retries dead-lettered jobs by hand, and
 * starts a plain BullMQ Worker by mistake for a while. Must hold: every task the operator did
 * not remove (or the stray worker did not take) runs exactly once; the capped tenant is never
 * stalled (after the last action, no gap between its runs' starts longer than a few reconciler
 * passes); no slot is left behind; a job retried by hand keeps no stale dead-letter entry.
 */
export const operator: Scenario<OperatorParams> = {
  name: 'operator',
  summary: 'random removes, cleans, drains, manual retries and a stray plain BullMQ worker under load',
  profiles: {
    short: { tasks: 300, actions: 12, actionEveryMs: 150, cap: 3, concurrency: 10, reconcilerMs: 300, timeoutMs: 60_000, seed: 13 },
    full: { tasks: 3000, actions: 60, actionEveryMs: 150, cap: 5, concurrency: 30, reconcilerMs: 300, timeoutMs: 300_000, seed: 13 },
  },
  async run(p, log) {
    const rec = new Recorder('operator', log);
    const env = await ChaosEnv.start();
    const random = seededRandom(p.seed);
    const bull = new Queue('work', { connection: env.raw, prefix: env.app.keys.bullPrefix() });
    const dlq = new DeadLetterQueue({ backendUrl: env.url, prefix: env.prefix });
    let stray: Worker | null = null;
    try {
      await env.manager.createTenant({ tenantId: 'capped', name: 'Capped', quotas: { maxConcurrentTasks: p.cap } });
      await env.manager.createTenant({ tenantId: 'busy', name: 'Busy' });
      const submitted = new Map<string, string>(); // record id → job id
      for (const tenantId of ['capped', 'busy']) {
        const ids = Array.from({ length: p.tasks }, (_, i) => `${tenantId}-${i}`);
        const out = await env.tasks.record.applyBulk(ids.map((id) => ({ args: [id, 20] as [string, number], tenantId })));
        out.forEach((r, i) => r.ok && submitted.set(ids[i]!, jobIdOf(tenantId, r.result.taskId)));
      }
      const ghosts = await env.tasks.ghost.applyBulk(Array.from({ length: 10 }, (_, k) => ({ args: [k] as [number], tenantId: 'capped' })));
      await env.startWorker(['--concurrency', String(p.concurrency), '--reconciler-interval-ms', String(p.reconcilerMs)]);

      const kinds = ['remove', 'remove', 'clean', 'retry', 'stray', 'drain'];
      for (let a = 0; a < p.actions; a++) {
        const kind = kinds[Math.floor(random() * kinds.length)]!;
        if (kind === 'remove') {
          const pick = [...submitted.values()].filter(() => random() < 0.05).slice(0, 10);
          let removed = 0;
          for (const jobId of pick) removed += (await bull.getJob(jobId).then((j) => j?.remove().then(() => 1)).catch(() => 0)) ?? 0;
          rec.inject(`Job.remove() of ${removed} job(s)`);
        } else if (kind === 'clean') {
          rec.inject(`queue.clean(0, 5, 'wait') removed ${(await bull.clean(0, 5, 'wait')).length}`);
        } else if (kind === 'drain') {
          await bull.drain();
          rec.inject('queue.drain()');
        } else if (kind === 'retry') {
          const failed = await bull.getFailed(0, 5);
          for (const job of failed) await job.retry().catch(() => undefined);
          rec.inject(`job.retry() of ${failed.length} failed job(s)`);
        } else if (!stray) {
          stray = new Worker('work', async () => 'stray', { connection: { url: env.url }, prefix: env.app.keys.bullPrefix(), concurrency: 2 });
          rec.inject('a plain BullMQ Worker started on the queue');
        } else {
          await stray.close();
          stray = null;
          rec.inject('the plain BullMQ Worker stopped');
        }
        await sleep(p.actionEveryMs);
      }
      await stray?.close();
      stray = null;

      const lastActionAt = Date.now();
      // Dead-lettered jobs retried by hand once they are there (they fail again: no worker knows them).
      const deadline = Date.now() + p.timeoutMs;
      while ((await dlq.count()) < ghosts.length && Date.now() < deadline) await sleep(100);
      const failed = await bull.getFailed(0, 4);
      for (const job of failed) await job.retry();
      rec.inject(`job.retry() of ${failed.length} dead-lettered job(s)`);

      // Every task still in Redis and not taken by the stray worker runs exactly once.
      const settle = async (): Promise<string[]> => {
        ended = endedCounts(runsOf(await env.events()));
        const pending: string[] = [];
        for (const [id, jobId] of submitted) {
          if (ended.get(id) === 1) continue;
          const job = await bull.getJob(jobId);
          if (job && job.returnvalue !== 'stray') pending.push(id);
        }
        return pending;
      };
      let ended = endedCounts(runsOf(await env.events()));
      let stuck = await settle();
      while (stuck.length && Date.now() < deadline) {
        await sleep(250);
        stuck = await settle();
      }
      // The capped tenant is never stalled: its runs start one after the other with no gap
      // longer than a few reconciler passes, from the last action until its backlog is done.
      const starts = runsOf(await env.events())
        .filter((r) => r.id.startsWith('capped-') && r.start >= lastActionAt)
        .map((r) => r.start)
        .sort((a, b) => a - b);
      const longestGapMs = Math.max(0, ...[lastActionAt, ...starts].map((t, i, all) => (i === 0 ? 0 : t - all[i - 1]!)));
      while ((await dlq.count()) < ghosts.length && Date.now() < deadline) await sleep(100);
      const twice = [...ended].filter(([, n]) => n > 1).map(([id]) => id);
      let slotsLeft = 0;
      for (const t of ['capped', 'busy']) slotsLeft += await env.raw.zcard(env.app.keys.slots(t, 'work'));
      const entries = await dlq.list({ limit: 10_000 });
      let entriesOfRetried = 0;
      for (const e of entries) if (!(await bull.getJob(e.jobId).then((j) => j?.isFailed() ?? true))) entriesOfRetried += 1;
      Object.assign(rec.counts, {
        submitted: submitted.size,
        ranOnce: [...submitted.keys()].filter((id) => ended.get(id) === 1).length,
        stuck: stuck.length,
        ranTwice: twice.length,
        longestGapMs,
        retriedByHand: failed.length,
        slotsLeft,
        ghosts: ghosts.length,
        entries: entries.length,
        entriesOfRetried,
      });
      const bound = p.reconcilerMs * 3 + 2000;
      rec.check(stuck.length === 0, `${stuck.length} task(s) never ran: ${stuck.slice(0, 5).join(', ')}`);
      rec.check(twice.length === 0, `${twice.length} task(s) ran twice: ${twice.slice(0, 5).join(', ')}`);
      rec.check(longestGapMs <= bound, `the capped tenant started nothing for ${longestGapMs} ms after the last action (bound ${bound} ms)`);
      rec.check(entries.length === ghosts.length, `${entries.length} dead-letter entries for ${ghosts.length} dead-lettered jobs`);
      rec.check(slotsLeft === 0, `${slotsLeft} slot(s) still taken after the run`);
      rec.check(entriesOfRetried === 0, `${entriesOfRetried} dead-letter entr(ies) of jobs retried by hand`);
    } finally {
      await stray?.close();
      await bull.close();
      await dlq.close();
      await env.close();
    }
    return rec.report();
  },
};
