import type { Queue } from 'bullmq';
import { inBatches } from './bench.js';
import { PEER_JOB_OPTIONS, type TurbineSide } from './world.js';

/**
 * Tasks for the probe app (test/fixtures/probe-app.mjs, run by `turbine-worker` processes) and
 * its peer (test/fixtures/bullmq-probe-worker.mjs): its `record` task on queue `work`, without
 * retries, which records its start and end under `id` and sleeps `ms` in between.
 */
export interface ProbeTask {
  tenant: string;
  id: string;
  ms: number;
}

const BATCH = 1000;

/** Submits probe tasks with `applyBulk`; call once per side (it registers the task). */
export function turbineProbeSubmitter(side: TurbineSide): (tasks: readonly ProbeTask[]) => Promise<void> {
  // The producer side of the probe app's task: same name and queue; it runs in the workers.
  const record = side.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _ms: number) => id);
  return (tasks) =>
    inBatches(tasks.length, BATCH, async (from, count) => {
      const batch = tasks.slice(from, from + count).map((t) => ({ args: [t.id, t.ms] as [string, number], tenantId: t.tenant }));
      return (await record.applyBulk(batch)).filter((r) => r.ok).length;
    });
}

/**
 * Submits the same jobs with `addBulk`, each to the queue `queueOf` its tenant (one queue unless
 * the peer gives a group of tenants a queue, and workers, of their own).
 */
export function peerProbeSubmitter(queueOf: (tenant: string) => Queue): (tasks: readonly ProbeTask[]) => Promise<void> {
  return (tasks) =>
    inBatches(tasks.length, BATCH, async (from, count) => {
      const byQueue = new Map<Queue, ProbeTask[]>();
      for (const t of tasks.slice(from, from + count)) {
        const queue = queueOf(t.tenant);
        const batch = byQueue.get(queue) ?? [];
        batch.push(t);
        byQueue.set(queue, batch);
      }
      let added = 0;
      for (const [queue, batch] of byQueue) {
        const jobs = batch.map((t) => ({
          name: 'record',
          data: { tenant_id: t.tenant, args: [t.id, t.ms] },
          // Turbine's `retries: 0`.
          opts: { ...PEER_JOB_OPTIONS, attempts: 1 },
        }));
        added += (await queue.addBulk(jobs)).length;
      }
      return added;
    });
}
