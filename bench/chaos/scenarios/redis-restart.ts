import { sleep } from '../../lib/stats.js';
import { ChaosEnv, waitUntil } from '../lib/env.js';
import { Producers } from '../lib/producers.js';
import { endedCounts, runsOf } from '../lib/runs.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface RedisRestartParams {
  backlog: number;
  producers: number;
  produceEveryMs: number;
  downMs: number;
  /** SIGKILL: a crash (appendfsync always keeps every acknowledged write); SIGTERM: a clean stop. */
  signal: 'SIGKILL' | 'SIGTERM';
  workers: number;
  concurrency: number;
  cap: number;
  handlerMs: number;
  produceAfterMs: number;
  timeoutMs: number;
}

/**
 * 2. Redis (appendonly yes, appendfsync always) goes away mid-run and comes back on the same
 * port, while workers run and producers submit. Must hold: every accepted task completes
 * (producers and workers reconnect on their own), producers are accepted again after the
 * restart, and no worker process exits.
 */
export const redisRestart: Scenario<RedisRestartParams> = {
  name: 'redis-restart',
  summary: 'Redis (appendonly yes) killed and restarted mid-run; workers and producers must recover',
  profiles: {
    short: { backlog: 300, producers: 2, produceEveryMs: 20, downMs: 1000, signal: 'SIGKILL', workers: 2, concurrency: 10, cap: 8, handlerMs: 5, produceAfterMs: 2000, timeoutMs: 60_000 },
    full: { backlog: 5000, producers: 5, produceEveryMs: 5, downMs: 3000, signal: 'SIGKILL', workers: 3, concurrency: 20, cap: 8, handlerMs: 5, produceAfterMs: 5000, timeoutMs: 300_000 },
  },
  async run(p, log) {
    const rec = new Recorder('redis-restart', log);
    const env = await ChaosEnv.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    let producers: Producers | null = null;
    try {
      await env.manager.createTenant({ tenantId: 'capped', name: 'Capped', quotas: { maxConcurrentTasks: p.cap } });
      await env.manager.createTenant({ tenantId: 'open', name: 'Open' });
      // A reply lost in the crash can leave a fetched task in BullMQ's active list until its lock
      // expires and the stalled check returns it: short locks keep that wait short.
      const args = ['--concurrency', String(p.concurrency), '--lock-duration-ms', '2000', '--stalled-interval-ms', '1000', '--reconciler-interval-ms', '500'];
      await Promise.all(Array.from({ length: p.workers }, () => env.startWorker(args)));
      const backlog = await env.tasks.record.applyBulk(
        Array.from({ length: p.backlog }, (_, i) => ({ args: [`b-${i}`, p.handlerMs] as [string, number], tenantId: i % 2 ? 'open' : 'capped' })),
      );
      const accepted = new Set(backlog.flatMap((r, i) => (r.ok ? [`b-${i}`] : [])));
      producers = new Producers(env.tasks.record, p.producers, ['capped', 'open'], p.handlerMs, p.produceEveryMs);
      const completed = (): Promise<number> => env.raw.zcard(`${env.prefix}:q:work:completed`);
      await waitUntil(async () => (await completed()) >= p.backlog / 3, p.timeoutMs, 'a third of the backlog done');

      await env.server.stop(p.signal);
      rec.inject(`redis-server stopped with ${p.signal}`);
      await sleep(p.downMs);
      await env.server.launch();
      rec.inject('redis-server started again on the same port and data directory');
      producers.markRecovery();
      await sleep(p.produceAfterMs);
      await producers.stop();
      for (const id of producers.accepted) accepted.add(id);

      const deadline = Date.now() + p.timeoutMs;
      let runs = runsOf(await env.events());
      let ended = endedCounts(runs);
      while ([...accepted].some((id) => !ended.has(id)) && Date.now() < deadline) {
        await sleep(250);
        runs = runsOf(await env.events());
        ended = endedCounts(runs);
      }
      const started = new Map<string, number>();
      for (const r of runs) started.set(r.id, (started.get(r.id) ?? 0) + 1);
      const lost = [...accepted].filter((id) => !ended.has(id));
      const readiness = await Promise.all(env.workers.map((w) => w.readyz()));
      Object.assign(rec.counts, {
        submitted: p.backlog + producers.attempts,
        accepted: accepted.size,
        refusedDuringOutage: producers.failed,
        acceptedAfterRestart: producers.acceptedAfterMark,
        completed: [...accepted].filter((id) => ended.has(id)).length,
        lost: lost.length,
        // At least once: a run whose completion was lost in the crash runs again.
        duplicated: [...started.values()].filter((n) => n > 1).length,
      });
      rec.check(lost.length === 0, `${lost.length} accepted task(s) never completed: ${lost.slice(0, 5).join(', ')}`);
      rec.check(producers.acceptedAfterMark > 0, 'no submission was accepted after Redis came back');
      rec.check(env.workers.every((w) => w.alive), 'a worker process exited');
      rec.check(readiness.every((s) => s === 200), `/readyz after the restart: ${readiness.join(', ')}`);
    } finally {
      await producers?.stop();
      await env.close();
    }
    return rec.report();
  },
};
