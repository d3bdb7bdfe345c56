import { DeadLetterNotFoundError, DeadLetterQueue } from '../../../src/index.js';
import { sleep } from '../../lib/stats.js';
import { ChaosEnv } from '../lib/env.js';
import { endedCounts, runsOf } from '../lib/runs.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface IsolationParams {
  /** Tasks the victim submits, each under an id the attacker also uses. */
  tasks: number;
  /** Dead-lettered tasks of the victim (a task name no worker knows). */
  failures: number;
  concurrency: number;
  reconcilerMs: number;
  timeoutMs: number;
}

/**
 * 7. Two tenants attack each other: the attacker submits under the victim's task ids (before
 * and after them), probes them, reads the victim's results by id, rolls BullMQ's id counter
 * back, and reads, replays, removes and purges the victim's dead-letter entries by id and
 * through its own tenant. Must hold: every victim task runs exactly once with its own
 * arguments, no call made for the attacker returns or changes anything of the victim's.
 */
export const isolation: Scenario<IsolationParams> = {
  name: 'isolation',
  summary: "two tenants attacking each other's task ids, results and dead-letter entries",
  profiles: {
    short: { tasks: 200, failures: 20, concurrency: 20, reconcilerMs: 500, timeoutMs: 60_000 },
    full: { tasks: 2000, failures: 100, concurrency: 50, reconcilerMs: 500, timeoutMs: 300_000 },
  },
  async run(p, log) {
    const rec = new Recorder('isolation', log);
    const env = await ChaosEnv.start();
    const dlq = new DeadLetterQueue({ backendUrl: env.url, prefix: env.prefix });
    try {
      await env.manager.createTenant({ tenantId: 'victim', name: 'Victim' });
      await env.manager.createTenant({ tenantId: 'attacker', name: 'Attacker' });
      const ids = Array.from({ length: p.tasks }, (_, i) => `invoice-${i}`);
      const half = ids.slice(0, p.tasks / 2);
      // The attacker takes half the ids first: the victim's tasks must not be dropped as duplicates.
      await env.tasks.record.applyBulk(half.map((id) => ({ args: [`attacker:${id}`, 1] as [string, number], tenantId: 'attacker', taskId: id })));
      const victim = await env.tasks.record.applyBulk(ids.map((id) => ({ args: [`victim:${id}`, 1] as [string, number], tenantId: 'victim', taskId: id })));
      const probes = await env.tasks.record.applyBulk(ids.slice(p.tasks / 2).map((id) => ({ args: [`attacker:${id}`, 1] as [string, number], tenantId: 'attacker', taskId: id })));
      rec.inject(`attacker submitted under all ${p.tasks} of the victim's task ids, half before and half after`);
      const victimDuplicates = victim.filter((r) => !r.ok || r.result.placement === 'duplicate').length;
      const probeDuplicates = probes.filter((r) => r.ok && r.result.placement === 'duplicate').length;

      await env.raw.del(`${env.app.keys.bullPrefix()}:work:id`);
      rec.inject("BullMQ's id counter deleted (a failover that lost it, or obliterate)");
      const failures = await env.tasks.ghost.applyBulk(Array.from({ length: p.failures }, (_, k) => ({ args: [k] as [number], tenantId: 'victim' })));
      const generated = await env.tasks.record.applyBulk(Array.from({ length: 10 }, (_, k) => ({ args: [`attacker:gen-${k}`, 1] as [string, number], tenantId: 'attacker' })));
      const failedIds = new Set(failures.map((r) => (r.ok ? r.result.taskId : '')));
      const reused = generated.filter((r) => r.ok && failedIds.has(r.result.taskId)).length;

      await env.startWorker(['--concurrency', String(p.concurrency), '--reconciler-interval-ms', String(p.reconcilerMs)]);
      const deadline = Date.now() + p.timeoutMs;
      let ended = endedCounts(runsOf(await env.events()));
      while ((ended.size < p.tasks * 2 + 10 || (await dlq.count({ tenantId: 'victim' })) < p.failures) && Date.now() < deadline) {
        await sleep(250);
        ended = endedCounts(runsOf(await env.events()));
      }
      const victimNotOnce = ids.filter((id) => ended.get(`victim:${id}`) !== 1);

      // Results: the attacker asks for the victim's ids and gets only its own.
      let leakedResults = 0;
      for (const id of ids.slice(0, 50)) {
        const value = await env.app.result(id, { queue: 'work', tenantId: 'attacker' }).get({ timeoutMs: 5000 }).catch((e: unknown) => e);
        if (typeof value === 'string' && value.startsWith('victim:')) leakedResults += 1;
        const own = await env.app.result(id, { queue: 'work', tenantId: 'victim' }).get({ timeoutMs: 5000 });
        if (own !== `victim:${id}`) leakedResults += 1;
      }

      // Dead-letter entries: the attacker acts on the victim's entry ids, and on its own tenant.
      const victimEntries = await dlq.list({ tenantId: 'victim', limit: 10_000 });
      for (const entry of victimEntries) await env.raw.zadd(env.app.keys.dlqByTenant('attacker'), Date.now(), entry.entryId);
      rec.inject("the victim's entry ids written into the attacker's dead-letter index");
      let dlqLeaks = 0;
      for (const entry of victimEntries) {
        if (await dlq.get(entry.entryId, { tenantId: 'attacker' })) dlqLeaks += 1;
        if (await dlq.remove(entry.entryId, { tenantId: 'attacker' })) dlqLeaks += 1;
        const replay = await dlq.replay(entry.entryId, { tenantId: 'attacker' }).catch((e: unknown) => e);
        if (!(replay instanceof DeadLetterNotFoundError)) dlqLeaks += 1;
      }
      dlqLeaks += (await dlq.list({ tenantId: 'attacker', limit: 10_000 })).filter((e) => e.tenantId !== 'attacker').length;
      dlqLeaks += (await dlq.replayAll({ tenantId: 'attacker' })).length;
      await dlq.purge({ tenantId: 'attacker' });
      const victimEntriesAfter = await dlq.count({ tenantId: 'victim' });

      Object.assign(rec.counts, {
        victimTasks: p.tasks,
        victimRanOnce: p.tasks - victimNotOnce.length,
        victimDuplicates,
        probeDuplicates,
        reusedIds: reused,
        leakedResults,
        victimEntries: victimEntries.length,
        dlqLeaks,
        victimEntriesAfter,
      });
      rec.check(victimDuplicates === 0, `${victimDuplicates} victim task(s) answered as duplicates of the attacker's`);
      rec.check(probeDuplicates === 0, `${probeDuplicates} probe(s) told the attacker the victim uses an id`);
      rec.check(victimNotOnce.length === 0, `${victimNotOnce.length} victim task(s) not run exactly once: ${victimNotOnce.slice(0, 5).join(', ')}`);
      rec.check(reused === 0, `${reused} generated id(s) reused after the counter rolled back`);
      rec.check(leakedResults === 0, `${leakedResults} result read(s) crossed tenants`);
      rec.check(victimEntries.length === p.failures, `the victim has ${victimEntries.length} dead-letter entries, expected ${p.failures}`);
      rec.check(dlqLeaks === 0, `${dlqLeaks} dead-letter call(s) for the attacker reached the victim's entries`);
      rec.check(victimEntriesAfter === p.failures, `the victim has ${victimEntriesAfter} entries after the attack, expected ${p.failures}`);
    } finally {
      await dlq.close();
      await env.close();
    }
    return rec.report();
  },
};
