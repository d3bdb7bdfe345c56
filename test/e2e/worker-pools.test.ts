import { afterEach, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { jobIdOf } from '../../src/core/task-ids.js';
import { pollUntil } from '../helpers/context.js';
import { completions, maxConcurrent, readProbeEvents, type ProbeEvent } from '../helpers/probe.js';
import { WorkerProcess } from '../helpers/processes.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * Dedicated worker pools with real `turbine-worker` processes running
 * test/fixtures/probe-app.mjs: one worker of the shared pool, one started with `--pool premium`.
 */

let world: TestWorld;
let workers: WorkerProcess[] = [];

afterEach(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await world.close();
});

async function submit(tenantId: string, count: number, sleepMs: number, from = 0): Promise<void> {
  // The producer side of the fixture's task: same name and queue, the handler never runs here.
  const record =
    (world.app.tasks.get('record') as TaskDefinition<[string, number], string> | undefined) ??
    world.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _sleepMs: number) => id);
  const results = await record.applyBulk(
    Array.from({ length: count }, (_, i) => ({ args: [`${tenantId}-${from + i}`, sleepMs] as [string, number], tenantId })),
  );
  expect(results.every((r) => r.ok)).toBe(true);
}

async function startWorker(pool: string | null, concurrency = 4): Promise<WorkerProcess> {
  const args = ['--concurrency', String(concurrency), ...(pool ? ['--pool', pool] : [])];
  return WorkerProcess.start({ url: world.url, prefix: world.prefix, args, onSpawn: (w) => workers.push(w) });
}

const doneCount = async (): Promise<number> => completions(await readProbeEvents(world.raw, world.prefix)).size;

/** The runs of `tenantId` that started in a process other than those of `pids`. */
const startedOutside = (events: ProbeEvent[], tenantId: string, pids: number[]): ProbeEvent[] =>
  events.filter((e) => e.kind === 'S' && e.tenantId === tenantId && !pids.includes(e.pid));

describe('dedicated worker pools', { timeout: 120_000 }, () => {
  it("runs each tenant's tasks only in its pool's workers, also after the tenant moves mid-run, and loses none", async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'gold', name: 'Gold', pool: 'premium' });
    await world.manager.createTenant({ tenantId: 'acme', name: 'Acme' });
    // Capped above what the shared worker runs at once, so that it has running, waiting and
    // held tasks when it moves.
    await world.manager.createTenant({ tenantId: 'mover', name: 'Mover', quotas: { maxConcurrentTasks: 6 } });
    await submit('gold', 40, 20);
    await submit('acme', 40, 20);
    await submit('mover', 30, 150);
    const premium = await startWorker('premium');
    const shared = await startWorker(null, 2);

    await pollUntil(
      async () => completions((await readProbeEvents(world.raw, world.prefix)).filter((e) => e.tenantId === 'mover')).size,
      (n) => n >= 3,
      { what: "some of mover's tasks done in the shared pool" },
    );
    const moved = await world.manager.updateTenant('mover', { pool: 'premium' });
    expect(moved.pool).toBe('premium');
    // What the shared pool may still finish: the runs it had started by now (running leases),
    // read with the runs already recorded in one atomic step.
    const [[, lines], [, leases]] = (await world.raw
      .multi()
      .lrange(`${world.prefix}:probe:events`, 0, -1)
      .zrangebyscore(world.manager.keys.slots('mover', 'work'), '(0', '+inf')
      .exec()) as [[null, string[]], [null, string[]]];
    const startedBefore = new Set([
      ...lines.map((line) => line.split('|')).filter((f) => f[0] === 'S' && f[3] === 'mover').map((f) => jobIdOf('mover', f[4]!)),
      ...leases,
    ]);

    await pollUntil(doneCount, (n) => n === 110, { what: 'all 110 tasks done', timeoutMs: 90_000 });
    const events = await readProbeEvents(world.raw, world.prefix);
    expect(startedOutside(events, 'gold', [premium.pid])).toEqual([]);
    expect(startedOutside(events, 'acme', [shared.pid])).toEqual([]);
    const moverInShared = startedOutside(events, 'mover', [premium.pid]);
    expect(moverInShared.length).toBeGreaterThan(0);
    expect(moverInShared.filter((e) => !startedBefore.has(jobIdOf('mover', e.taskId)))).toEqual([]);
    expect(events.some((e) => e.tenantId === 'mover' && e.pid === premium.pid)).toBe(true);
    // Each task ran once, and the cap held across both pools.
    expect([...completions(events).values()].every((n) => n === 1)).toBe(true);
    expect(maxConcurrent(events, 'mover')).toBeLessThanOrEqual(6);
    const stats = await world.manager.getTenantStats('mover');
    expect(stats.pendingTasks).toBe(0);
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0]);
    workers = [];
  });

  it("leaves a pool's tasks waiting while none of its workers runs, and starts them when one does", async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'gold', name: 'Gold', pool: 'premium' });
    await world.manager.createTenant({ tenantId: 'acme', name: 'Acme' });
    await submit('gold', 5, 10);
    await submit('acme', 5, 10);
    const shared = await startWorker(null);
    await pollUntil(doneCount, (n) => n === 5, { what: "acme's tasks done" });
    // The shared worker keeps fetching (it is idle now), and still never takes gold's tasks.
    await submit('acme', 5, 10, 5);
    await pollUntil(doneCount, (n) => n === 10, { what: "acme's next tasks done" });
    const before = await readProbeEvents(world.raw, world.prefix);
    expect(before.filter((e) => e.tenantId === 'gold')).toEqual([]);
    expect((await world.manager.getTenantStats('gold')).pendingTasks).toBe(5);

    const premium = await startWorker('premium');
    await pollUntil(doneCount, (n) => n === 15, { what: "gold's tasks done" });
    const events = await readProbeEvents(world.raw, world.prefix);
    expect(startedOutside(events, 'gold', [premium.pid])).toEqual([]);
    expect(startedOutside(events, 'acme', [shared.pid])).toEqual([]);
  });
});
