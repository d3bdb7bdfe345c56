import { QueueFullError, QuotaExceededError, Turbine, type TaskDefinition, type TurbineError } from '../../../src/index.js';
import { ChaosEnv, seededRandom } from '../lib/env.js';
import { Recorder, type Scenario } from '../lib/scenario.js';

export interface QuotaRaceParams {
  producers: number;
  /** Submissions per producer to the tenant with max_tasks_per_hour. */
  hourlyPerProducer: number;
  maxTasksPerHour: number;
  /** Submissions per producer to the tenant with max_queue_length (no worker runs). */
  queuedPerProducer: number;
  maxQueueLength: number;
}

interface Tally {
  accepted: number;
  refusedAsExpected: number;
  otherErrors: string[];
}

/**
 * 5. Many producers (each its own app and connection) race to submit more than two tenants'
 * quotas allow: one with max_tasks_per_hour, one with max_queue_length and no worker. Must
 * hold: exactly the allowed number accepted, every other submission refused with the quota's
 * error, and the usage counters agree.
 */
export const quotaRace: Scenario<QuotaRaceParams> = {
  name: 'quota-race',
  summary: '50 producers racing against max_tasks_per_hour=1000 and max_queue_length=200',
  profiles: {
    short: { producers: 50, hourlyPerProducer: 30, maxTasksPerHour: 1000, queuedPerProducer: 8, maxQueueLength: 200 },
    full: { producers: 50, hourlyPerProducer: 100, maxTasksPerHour: 1000, queuedPerProducer: 40, maxQueueLength: 200 },
  },
  async run(p, log) {
    const rec = new Recorder('quota-race', log);
    const env = await ChaosEnv.start();
    const apps = Array.from({ length: p.producers }, () => new Turbine({ backendUrl: env.url, prefix: env.prefix }));
    try {
      await env.manager.createTenant({ tenantId: 'hourly', name: 'Hourly', quotas: { maxTasksPerHour: p.maxTasksPerHour } });
      await env.manager.createTenant({ tenantId: 'queued', name: 'Queued', quotas: { maxQueueLength: p.maxQueueLength } });
      const tasks = apps.map((app) => app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _ms: number) => id));
      // Connected first, so that the race is between submissions, not connections.
      await Promise.all(apps.map((app) => app.client()));
      const tallies = { hourly: newTally(), queued: newTally() };
      rec.inject(`${p.producers} producers × (${p.hourlyPerProducer} to 'hourly' + ${p.queuedPerProducer} to 'queued'), all at once`);
      await Promise.all(
        tasks.map(async (task, producer) => {
          // Half submit one by one, half in small bulks: both paths go through the same admission.
          const size = producer % 2 ? 5 : 1;
          const plan = shuffled(
            [
              ...Array.from({ length: p.hourlyPerProducer }, () => 'hourly' as const),
              ...Array.from({ length: p.queuedPerProducer }, () => 'queued' as const),
            ],
            seededRandom(producer + 1),
          );
          for (let i = 0; i < plan.length; i += size) {
            await submit(task, plan.slice(i, i + size), `${producer}-${i}`, tallies);
          }
        }),
      );
      const hourlyStats = await env.manager.getTenantStats('hourly');
      const queuedStats = await env.manager.getTenantStats('queued');
      Object.assign(rec.counts, {
        submitted: p.producers * (p.hourlyPerProducer + p.queuedPerProducer),
        hourlyAccepted: tallies.hourly.accepted,
        hourlyRefused: tallies.hourly.refusedAsExpected,
        hourlyCounter: hourlyStats.tasksHour,
        queuedAccepted: tallies.queued.accepted,
        queuedRefused: tallies.queued.refusedAsExpected,
        queuedPending: queuedStats.pendingTasks,
      });
      const expectHourly = Math.min(p.maxTasksPerHour, p.producers * p.hourlyPerProducer);
      const expectQueued = Math.min(p.maxQueueLength, p.producers * p.queuedPerProducer);
      rec.check(tallies.hourly.accepted === expectHourly, `'hourly' accepted ${tallies.hourly.accepted}, allowed ${expectHourly}`);
      rec.check(hourlyStats.tasksHour === expectHourly, `'hourly' counts ${hourlyStats.tasksHour} tasks this hour, accepted ${tallies.hourly.accepted}`);
      rec.check(tallies.queued.accepted === expectQueued, `'queued' accepted ${tallies.queued.accepted}, allowed ${expectQueued}`);
      rec.check(queuedStats.pendingTasks === expectQueued, `'queued' has ${queuedStats.pendingTasks} pending, accepted ${tallies.queued.accepted}`);
      for (const [tenant, tally] of Object.entries(tallies)) {
        rec.check(tally.otherErrors.length === 0, `'${tenant}': unexpected errors: ${tally.otherErrors.slice(0, 3).join('; ')}`);
      }
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await env.close();
    }
    return rec.report();
  },
};

function shuffled<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function newTally(): Tally {
  return { accepted: 0, refusedAsExpected: 0, otherErrors: [] };
}

async function submit(
  task: TaskDefinition<[string, number], string>,
  tenants: ('hourly' | 'queued')[],
  stem: string,
  tallies: Record<'hourly' | 'queued', Tally>,
): Promise<void> {
  const results = await task.applyBulk(tenants.map((tenantId, i) => ({ args: [`${stem}-${i}`, 1] as [string, number], tenantId })));
  results.forEach((result, i) => {
    const tenant = tenants[i]!;
    const tally = tallies[tenant];
    if (result.ok) tally.accepted += 1;
    else if (isExpectedRefusal(tenant, result.error)) tally.refusedAsExpected += 1;
    else tally.otherErrors.push(`${result.error.name}: ${result.error.message}`);
  });
}

function isExpectedRefusal(tenant: 'hourly' | 'queued', error: TurbineError): boolean {
  return tenant === 'hourly' ? error instanceof QuotaExceededError : error instanceof QueueFullError;
}
