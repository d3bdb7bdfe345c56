import { sleep } from '../../lib/stats.js';
import { ChaosEnv, waitUntil } from '../lib/env.js';
import { endedCounts, runsOf } from '../lib/runs.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface RedisFreezeParams {
  tasks: number;
  handlerMs: number;
  freezeMs: number;
  workers: number;
  concurrency: number;
  readyWithinMs: number;
  timeoutMs: number;
}

/**
 * 3. Redis frozen with SIGSTOP (its sockets stay open, nothing answers), then thawed with
 * SIGCONT, in the middle of a run. Must hold: workers stay up and resume, `/readyz` answers 503
 * during the freeze and 200 after it, and every task completes.
 */
export const redisFreeze: Scenario<RedisFreezeParams> = {
  name: 'redis-freeze',
  summary: 'Redis frozen with SIGSTOP, then SIGCONT; /readyz must follow, workers must resume',
  profiles: {
    short: { tasks: 200, handlerMs: 50, freezeMs: 5000, workers: 2, concurrency: 10, readyWithinMs: 15_000, timeoutMs: 60_000 },
    full: { tasks: 2000, handlerMs: 50, freezeMs: 10_000, workers: 3, concurrency: 10, readyWithinMs: 20_000, timeoutMs: 300_000 },
  },
  async run(p, log) {
    const rec = new Recorder('redis-freeze', log);
    const env = await ChaosEnv.start();
    try {
      await env.manager.createTenant({ tenantId: 'open', name: 'Open' });
      await Promise.all(Array.from({ length: p.workers }, () => env.startWorker(['--concurrency', String(p.concurrency)])));
      const ids = Array.from({ length: p.tasks }, (_, i) => `f-${i}`);
      const results = await env.tasks.record.applyBulk(ids.map((id) => ({ args: [id, p.handlerMs] as [string, number], tenantId: 'open' })));
      rec.check(results.every((r) => r.ok), 'a submission was refused');
      const completed = (): Promise<number> => env.raw.zcard(`${env.prefix}:q:work:completed`);
      await waitUntil(async () => (await completed()) >= p.tasks / 5, p.timeoutMs, 'a fifth of the tasks done');

      env.server.signal('SIGSTOP');
      rec.inject(`SIGSTOP to redis-server for ${p.freezeMs} ms`);
      const saw503 = new Set<number>();
      const frozenUntil = Date.now() + p.freezeMs;
      try {
        while (Date.now() < frozenUntil) {
          const statuses = await Promise.all(env.workers.map((w) => w.readyz()));
          statuses.forEach((s, i) => s === 503 && saw503.add(env.workers[i]!.pid));
          await sleep(250);
        }
      } finally {
        env.server.signal('SIGCONT');
      }
      rec.inject('SIGCONT to redis-server');
      const thawedAt = Date.now();
      let readyAfterMs = Number.POSITIVE_INFINITY;
      while (Date.now() - thawedAt < p.readyWithinMs) {
        if ((await Promise.all(env.workers.map((w) => w.readyz()))).every((s) => s === 200)) {
          readyAfterMs = Date.now() - thawedAt;
          break;
        }
        await sleep(100);
      }
      // Work submitted after the thaw runs too.
      const after = ['after-0', 'after-1', 'after-2'];
      await env.tasks.record.applyBulk(after.map((id) => ({ args: [id, 1] as [string, number], tenantId: 'open' })));
      const all = [...ids, ...after];
      const deadline = Date.now() + p.timeoutMs;
      let ended = endedCounts(runsOf(await env.events()));
      while (all.some((id) => !ended.has(id)) && Date.now() < deadline) {
        await sleep(250);
        ended = endedCounts(runsOf(await env.events()));
      }
      const lost = all.filter((id) => !ended.has(id));
      Object.assign(rec.counts, {
        submitted: all.length,
        completed: all.length - lost.length,
        lost: lost.length,
        duplicated: [...ended.values()].filter((n) => n > 1).length,
        workersSaw503: saw503.size,
        readyAfterMs,
      });
      rec.check(saw503.size === env.workers.length, `/readyz answered 503 during the freeze on ${saw503.size} of ${env.workers.length} workers`);
      rec.check(Number.isFinite(readyAfterMs), `/readyz not 200 on every worker within ${p.readyWithinMs} ms of the thaw`);
      rec.check(env.workers.every((w) => w.alive), 'a worker process exited');
      rec.check(lost.length === 0, `${lost.length} task(s) never completed: ${lost.slice(0, 5).join(', ')}`);
    } finally {
      env.server.signal('SIGCONT');
      await env.close();
    }
    return rec.report();
  },
};
