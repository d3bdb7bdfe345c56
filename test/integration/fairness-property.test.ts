import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskContext } from '../../src/tasks/types.js';
import { pollUntil } from '../helpers/context.js';
import { TestWorld, sleep } from '../helpers/worker.js';

/**
 * Random workloads against a real Redis and real workers: tenants with random weights and caps
 * submit bursts of tasks, some delayed, some prioritized, some failing once and retried, to
 * one queue served by one to three workers. Checked on the log of handler starts and ends:
 *
 * - the cap: a tenant never has more handlers running than its max_concurrent_tasks;
 * - no starvation: while a tenant has a task due (submitted, past its delay or backoff) and
 *   fewer tasks running than its cap, at most BOUND tasks of other tenants start before one
 *   of its own does, where BOUND = tenants × (window + 1) + bursts + 2 × total concurrency.
 *   Each other tenant has at most a window of tasks in the wait list ahead (its window is at
 *   most the queue's), plus one for a sparse tenant's task placed first, plus one per burst
 *   that arrives sparse; the concurrency terms cover tasks fetched while the run was being
 *   recorded and slots released just after their handler's end (the log's own slack);
 * - every task runs to completion.
 */

interface TenantSpec {
  weight: number;
  cap: number | null;
  bursts: { atMs: number; count: number; delayMs: number; priority: number }[];
}

interface Workload {
  window: number;
  workers: number[];
  failEvery: number;
  tenants: TenantSpec[];
}

const burst = fc.record({
  atMs: fc.integer({ min: 0, max: 400 }),
  count: fc.integer({ min: 1, max: 25 }),
  delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 20, max: 300 })),
  priority: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 })),
});

const workload: fc.Arbitrary<Workload> = fc.record({
  window: fc.integer({ min: 1, max: 8 }),
  workers: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
  // Every n-th task fails its first attempt (0: none fails).
  failEvery: fc.constantFrom(0, 3, 7),
  tenants: fc.array(
    fc.record({
      weight: fc.integer({ min: 1, max: 4 }),
      cap: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
      bursts: fc.array(burst, { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 2, maxLength: 6 },
  ),
});

const RETRY_BACKOFF_MS = 30;

type LogEntry = { kind: 'start' | 'end'; tenant: string; at: number };

/** A run's first moment due: submission plus delay, or failure plus backoff for a retry. */
interface Due {
  tenant: string;
  at: number;
}

let world: TestWorld | null = null;
afterEach(async () => {
  await world?.close();
  world = null;
});

async function runWorkload(w: Workload): Promise<void> {
  world = new TestWorld();
  const log: LogEntry[] = [];
  const dues = new Map<string, Due>();
  const startedAt = new Map<string, number>();
  const ids = w.tenants.map((_, i) => `t${i}`);
  const work = world.app.task({ name: 'work', retries: 1, backoff: RETRY_BACKOFF_MS }, async (n: number, ctx: TaskContext) => {
    const at = Date.now();
    log.push({ kind: 'start', tenant: ctx.tenantId, at });
    // Read after the run: a task may start before its submission's reply has arrived.
    startedAt.set(`${ctx.taskId}:${ctx.attempt}`, at);
    await sleep(2);
    log.push({ kind: 'end', tenant: ctx.tenantId, at: Date.now() });
    if (w.failEvery > 0 && n % w.failEvery === 0 && ctx.attempt === 1) {
      dues.set(`${ctx.taskId}:2`, { tenant: ctx.tenantId, at: Date.now() + RETRY_BACKOFF_MS });
      throw new Error('fails once');
    }
  });
  for (const [i, t] of w.tenants.entries()) {
    await world.tenant(ids[i]!, { weight: t.weight, maxConcurrentTasks: t.cap });
  }
  await world.raw.hset(`${world.prefix}:dispatch:window`, 'default', w.window);
  for (const concurrency of w.workers) await world.startWorker({ concurrency, dispatch: { window: w.window } });

  let n = 0;
  const submissions = w.tenants.flatMap((t, i) => t.bursts.map((b) => ({ tenant: ids[i]!, ...b })));
  submissions.sort((a, b) => a.atMs - b.atMs);
  const began = Date.now();
  for (const s of submissions) {
    const wait = began + s.atMs - Date.now();
    if (wait > 0) await sleep(wait);
    const items = Array.from({ length: s.count }, () => ({
      args: [n++] as [number],
      tenantId: s.tenant,
      ...(s.delayMs ? { delayMs: s.delayMs } : {}),
      ...(s.priority ? { priority: s.priority } : {}),
    }));
    const submittedAt = Date.now();
    const results = await work.applyBulk(items);
    for (const r of results) {
      if (!r.ok) throw r.error;
      dues.set(`${r.result.taskId}:1`, { tenant: s.tenant, at: submittedAt + s.delayMs });
    }
  }
  const total = n;
  const finals = () => log.filter((e) => e.kind === 'end').length;
  const retries = w.failEvery > 0 ? Math.floor((total - 1) / w.failEvery) + 1 : 0;
  await pollUntil(async () => finals(), (ended) => ended >= total + retries, { what: 'every task run', timeoutMs: 60_000 });

  // The cap, from the handlers' own log (a handler runs inside its slot).
  const running = new Map<string, number>();
  for (const e of log) {
    const now = (running.get(e.tenant) ?? 0) + (e.kind === 'start' ? 1 : -1);
    running.set(e.tenant, now);
    const cap = w.tenants[ids.indexOf(e.tenant)]!.cap;
    if (cap !== null) expect(now, `${e.tenant} running`).toBeLessThanOrEqual(cap);
  }

  // No starvation: walk the starts in order; for each tenant with a task due and room under its
  // cap, count the other tenants' starts until its next one.
  const concurrency = w.workers.reduce((a, b) => a + b, 0);
  const bound = w.tenants.length * (w.window + 1) + submissions.length + 2 * concurrency;
  const starts = log.filter((e) => e.kind === 'start');
  for (const tenant of ids) {
    const cap = w.tenants[ids.indexOf(tenant)]!.cap;
    const mine = [...dues.entries()]
      .filter(([, d]) => d.tenant === tenant)
      .map(([run, d]) => ({ at: d.at, startedAt: startedAt.get(run) ?? Number.POSITIVE_INFINITY }));
    let gap = 0;
    let worst = 0;
    let runningNow = 0;
    for (const e of log) {
      if (e.tenant === tenant) {
        runningNow += e.kind === 'start' ? 1 : -1;
        if (e.kind === 'start') gap = 0;
        continue;
      }
      if (e.kind !== 'start') continue;
      // Due and not started by then, with room under the cap.
      const waiting = mine.some((d) => d.at <= e.at && d.startedAt > e.at);
      const room = cap === null || runningNow < cap;
      if (waiting && room) worst = Math.max(worst, ++gap);
      else gap = 0;
    }
    expect(worst, `${tenant}: other tenants' starts while it waited (bound ${bound}, ${starts.length} starts)`).toBeLessThanOrEqual(bound);
  }
}

describe('fairness over random workloads (property)', () => {
  it('never exceeds a cap and starves no tenant beyond the stated bound', async () => {
    await fc.assert(
      fc.asyncProperty(workload, async (w) => {
        try {
          await runWorkload(w);
        } finally {
          await world?.close();
          world = null;
        }
      }),
      { numRuns: 8, seed: 12, endOnFailure: true },
    );
  }, 600_000);
});
