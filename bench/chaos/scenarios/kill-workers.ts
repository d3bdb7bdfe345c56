import { DeadLetterQueue } from '../../../src/index.js';
import { sleep } from '../../lib/stats.js';
import { ChaosEnv, seededRandom } from '../lib/env.js';
import { endedCounts, firstTimeAtLevel, maxRunning, runsOf } from '../lib/runs.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface KillWorkersParams {
  tasks: number;
  workers: number;
  concurrency: number;
  cap: number;
  handlerMs: number;
  killEveryMs: number;
  lockMs: number;
  reconcilerMs: number;
  stalledMs: number;
  seed: number;
  timeoutMs: number;
}

/**
 * A run that ended just before its worker died may not have been stored as completed yet, so it
 * may run again elsewhere: allowed for runs that ended this close to the kill.
 */
const IN_FLIGHT_MS = 250;
/** Slack on "lock duration + one reconciler pass" for a loaded 2-core machine. */
const SLACK_MS = 1500;

/**
 * 1. `kill -9` of a random worker every few seconds (a replacement is started each time) while
 * capped tasks run across 3 workers. Must hold: no task lost; only tasks running in a killed
 * worker run twice; the cap is never exceeded; after each kill the tenant runs at its cap again
 * within the lock duration plus one reconciler pass; at the end nothing is running, pending or
 * left in the tenant's slots.
 */
export const killWorkers: Scenario<KillWorkersParams> = {
  name: 'kill-workers',
  summary: 'kill -9 a random worker every few seconds during capped work across 3 workers',
  profiles: {
    short: { tasks: 2500, workers: 3, concurrency: 20, cap: 10, handlerMs: 40, killEveryMs: 3000, lockMs: 2000, reconcilerMs: 500, stalledMs: 1000, seed: 1, timeoutMs: 90_000 },
    full: { tasks: 20_000, workers: 3, concurrency: 50, cap: 10, handlerMs: 10, killEveryMs: 3000, lockMs: 2000, reconcilerMs: 500, stalledMs: 1000, seed: 1, timeoutMs: 900_000 },
  },
  async run(p, log) {
    const rec = new Recorder('kill-workers', log);
    const env = await ChaosEnv.start();
    const random = seededRandom(p.seed);
    try {
      await env.manager.createTenant({ tenantId: 'capped', name: 'Capped', quotas: { maxConcurrentTasks: p.cap } });
      const args = [
        '--concurrency', String(p.concurrency), '--lock-duration-ms', String(p.lockMs), '--stalled-interval-ms', String(p.stalledMs),
        '--reconciler-interval-ms', String(p.reconcilerMs), '--max-stalled-count', '1000',
      ];
      await Promise.all(Array.from({ length: p.workers }, () => env.startWorker(args)));
      for (let from = 0; from < p.tasks; from += 1000) {
        const items = Array.from({ length: Math.min(1000, p.tasks - from) }, (_, i) => ({ args: [`t-${from + i}`, p.handlerMs] as [string, number], tenantId: 'capped' }));
        const results = await env.tasks.record.applyBulk(items);
        rec.check(results.every((r) => r.ok), 'a submission was refused');
      }
      rec.counts.submitted = p.tasks;
      const finished = async (): Promise<number> =>
        (await env.raw.zcard(`${env.prefix}:q:work:completed`)) + (await env.raw.zcard(`${env.prefix}:q:work:failed`));

      const killedAt = new Map<number, number>();
      const leaders = new Set<number>();
      const deadline = Date.now() + p.timeoutMs;
      let nextKill = Date.now() + p.killEveryMs;
      // Kill while most of the work is still ahead, so that each kill's recovery can be seen.
      while ((await finished()) < p.tasks) {
        if (Date.now() > deadline) break;
        if (Date.now() >= nextKill && (await finished()) < p.tasks * 0.8) {
          const alive = env.workers.filter((w) => w.alive);
          const victim = alive[Math.floor(random() * alive.length)]!;
          // The reconciler's lock names its holder `<host>:<pid>:<id>`.
          const leader = (await env.raw.get(env.manager.keys.reconcilerLock()))?.split(':')[1];
          if (leader === String(victim.pid)) leaders.add(victim.pid);
          killedAt.set(victim.pid, Date.now());
          victim.kill('SIGKILL');
          await victim.exited;
          rec.inject(`kill -9 worker ${victim.pid}${leaders.has(victim.pid) ? ' (the elected reconciler)' : ''}`);
          const replacement = await env.startWorker(args);
          rec.inject(`replacement worker ${replacement.pid} started`);
          nextKill = Date.now() + p.killEveryMs;
        }
        await sleep(100);
      }
      const doneAt = Date.now();
      rec.counts.kills = killedAt.size;
      rec.counts.reconcilerKills = leaders.size;

      // Capacity and bookkeeping must come back within a lease's life and a reconciler pass.
      const settleBound = p.lockMs + p.reconcilerMs + SLACK_MS;
      let stats = await env.manager.getTenantStats('capped');
      let slots = await env.raw.zcard(env.manager.keys.slots('capped', 'work'));
      while ((stats.concurrentTasks || stats.pendingTasks || slots) && Date.now() - doneAt < settleBound) {
        await sleep(100);
        stats = await env.manager.getTenantStats('capped');
        slots = await env.raw.zcard(env.manager.keys.slots('capped', 'work'));
      }
      rec.counts.settleMs = Date.now() - doneAt;
      rec.check(stats.concurrentTasks === 0, `${stats.concurrentTasks} task(s) still counted running ${settleBound} ms after the end`);
      rec.check(stats.pendingTasks === 0, `${stats.pendingTasks} task(s) still pending ${settleBound} ms after the end`);
      rec.check(slots === 0, `${slots} slot(s) left in the tenant's slots ${settleBound} ms after the end`);

      const runs = runsOf(await env.events());
      const ended = endedCounts(runs);
      const dlq = new DeadLetterQueue({ backendUrl: env.url, prefix: env.prefix });
      const deadLettered = await dlq.count();
      await dlq.close();
      // Runs of a killed worker that had not ended (or had only just ended) when it died.
      const interrupted = new Set(
        runs.filter((r) => killedAt.has(r.pid) && (r.end === null || r.end >= killedAt.get(r.pid)! - IN_FLIGHT_MS)).map((r) => r.id),
      );
      const startedCounts = new Map<string, number>();
      for (const r of runs) startedCounts.set(r.id, (startedCounts.get(r.id) ?? 0) + 1);
      const duplicated = [...startedCounts].filter(([, n]) => n > 1).map(([id]) => id);
      const unexpected = duplicated.filter((id) => !interrupted.has(id));
      Object.assign(rec.counts, {
        completed: ended.size,
        lost: p.tasks - ended.size,
        deadLettered,
        duplicated: duplicated.length,
        completedTwice: [...ended.values()].filter((n) => n > 1).length,
        interrupted: interrupted.size,
        maxRunning: maxRunning(runs, killedAt),
      });
      rec.check(ended.size === p.tasks, `${p.tasks - ended.size} task(s) never completed (lost; ${deadLettered} dead-lettered)`);
      rec.check(unexpected.length === 0, `${unexpected.length} task(s) ran twice without having been in a killed worker: ${unexpected.slice(0, 5).join(', ')}`);
      rec.check(rec.counts.maxRunning! <= p.cap, `cap exceeded: ${rec.counts.maxRunning} running at once, cap ${p.cap}`);

      let maxRecovery = 0;
      let recoveriesChecked = 0;
      const killTimes = [...killedAt.values()].sort((a, b) => a - b);
      for (const [pid, at] of killedAt) {
        // Only where the victim held slots and enough work was left to fill the cap again.
        const held = runs.some((r) => r.pid === pid && r.end === null);
        const startsLater = runs.filter((r) => r.start > at + settleBound).length;
        if (!held || startsLater < 2 * p.cap) continue;
        const back = firstTimeAtLevel(runs, killedAt, at, p.cap);
        const nextKill = killTimes.find((t) => t > at) ?? Number.POSITIVE_INFINITY;
        // A later kill within the bound takes capacity again before this one's is back: the
        // two cannot be told apart, so only a recovery seen before it counts.
        if ((back === null || back > nextKill) && nextKill - at < settleBound) continue;
        recoveriesChecked += 1;
        const recovery = back === null ? Number.POSITIVE_INFINITY : back - at;
        maxRecovery = Math.max(maxRecovery, recovery);
        const role = leaders.has(pid) ? ', the elected reconciler' : '';
        rec.check(recovery <= settleBound, `capacity not back within ${settleBound} ms of killing ${pid}${role} (took ${recovery} ms)`);
      }
      rec.counts.recoveriesChecked = recoveriesChecked;
      rec.counts.maxRecoveryMs = maxRecovery;
      const survivors = env.workers.filter((w) => !killedAt.has(w.pid));
      rec.check(survivors.every((w) => w.alive), 'a worker that was not killed exited');
    } finally {
      await env.close();
    }
    return rec.report();
  },
};
