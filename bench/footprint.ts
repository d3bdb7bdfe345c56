import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { tenantIds, type BenchContext, type Benchmark, type FigureRow, collectRounds, waitForCard } from './lib/bench.js';
import { sleep } from './lib/stats.js';
import { PEER_JOB_OPTIONS, PeerSide, TurbineSide } from './lib/world.js';

/**
 * 9. Redis bytes per task in each state, for capacity planning (docs/deployment.md): waiting,
 * held, delayed, running, completed (its stored result), completed with ignoreResult,
 * dead-lettered (the failed job and its DLQ entry), the DLQ entry alone, and the stored-result
 * entry of a job BullMQ's retention removed (until its tenant's index is pruned). Each state is
 * measured on an emptied Redis: INFO used_memory before and after N tasks reach it, minus the
 * queues' event streams, which BullMQ caps per queue (their bytes per entry are a row of their
 * own). Tasks carry small arguments (`["user-12345", 42]`) and return a small result; add your
 * own arguments' and results' sizes. The peer stores the same jobs with plain BullMQ.
 */
const N = 2000;
const TENANTS = 20;
const ARGS: [string, number] = ['user-12345', 42];
const RESULT = { ok: true, id: 'user-12345' };

interface Figures {
  waiting: number;
  held: number;
  delayed: number;
  running: number;
  completed: number;
  completedOneTenant: number;
  ignored: number;
  deadLettered: number;
  dlqEntry: number;
  staleIndexEntry: number;
  eventEntry: number;
}

/** used_memory less the event streams' own bytes, and the streams' bytes per entry. */
async function measured(raw: Redis): Promise<{ bytes: number; streamBytes: number; streamEntries: number }> {
  const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
  let streamBytes = 0;
  let streamEntries = 0;
  for (const key of await raw.keys('*:events')) {
    streamBytes += Number(await raw.memory('USAGE', key, 'SAMPLES', 0));
    streamEntries += await raw.xlen(key);
  }
  return { bytes: used - streamBytes, streamBytes, streamEntries };
}

/** Bytes per task that `act` leaves in Redis, after `setup` (not counted). */
async function perTask(ctx: BenchContext, act: () => Promise<void>, count = N): Promise<number> {
  await sleep(200);
  const before = await measured(ctx.redis.raw);
  await act();
  await sleep(200);
  const after = await measured(ctx.redis.raw);
  return (after.bytes - before.bytes) / count;
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`footprint: timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** One state of Turbine's, on an emptied Redis with a side of its own. */
async function turbinePhase(ctx: BenchContext, run: (side: TurbineSide, tenants: string[]) => Promise<number>): Promise<number> {
  await ctx.redis.flush();
  const side = new TurbineSide(ctx.redis.url);
  try {
    const tenants = tenantIds(TENANTS);
    await side.createTenants(tenants);
    return await run(side, tenants);
  } finally {
    await side.close();
  }
}

const spreadOver = (tenants: string[], extra: { delayMs?: number } = {}): { args: [string, number]; tenantId: string; delayMs?: number }[] =>
  Array.from({ length: N }, (_, i) => ({ args: ARGS, tenantId: tenants[i % tenants.length]!, ...extra }));

async function turbineRound(ctx: BenchContext): Promise<Figures> {
  const submitted = (side: TurbineSide, name: string, options: { ignoreResult?: boolean; fail?: boolean } = {}) =>
    side.app.task({ name, queue: name, retries: 0, ignoreResult: options.ignoreResult }, async (_user: string, _n: number) => {
      if (options.fail) throw new Error('failed on purpose');
      return RESULT;
    });
  const finishAll = (state: 'completed' | 'failed', ignoreResult = false, fail = false, oneTenant = false) =>
    turbinePhase(ctx, async (side, all) => {
      const tenants = oneTenant ? all.slice(0, 1) : all;
      const task = submitted(side, 'work', { ignoreResult, fail });
      await side.startWorker(50);
      return perTask(ctx, async () => {
        await task.applyBulk(spreadOver(tenants));
        if (ignoreResult) await until(async () => (await side.manager.getTenantStats(tenants[0]!)).totalTasks === N / tenants.length && (await ctx.redis.raw.llen(`${side.prefix}:q:work:wait`)) === 0 && (await ctx.redis.raw.llen(`${side.prefix}:q:work:active`)) === 0, 'ignored tasks');
        else await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:${state}`, N, 120_000);
      });
    });

  const waiting = await turbinePhase(ctx, async (side, tenants) => {
    const task = submitted(side, 'work');
    return perTask(ctx, async () => void (await task.applyBulk(spreadOver(tenants))));
  });
  const held = await turbinePhase(ctx, async (side) => {
    await side.createTenants(['frozen'], { maxConcurrentTasks: 0 });
    const task = submitted(side, 'work');
    return perTask(ctx, async () => void (await task.applyBulk(spreadOver(['frozen']))));
  });
  const delayed = await turbinePhase(ctx, async (side, tenants) => {
    const task = submitted(side, 'work');
    return perTask(ctx, async () => void (await task.applyBulk(spreadOver(tenants, { delayMs: 3_600_000 }))));
  });
  const running = await turbinePhase(ctx, async (side, tenants) => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const task = side.app.task({ name: 'work', queue: 'work', retries: 0 }, async (_user: string, _n: number) => {
      started += 1;
      await gate;
      return RESULT;
    });
    const count = 500;
    await side.startWorker(count);
    const bytes = await perTask(
      ctx,
      async () => {
        await task.applyBulk(spreadOver(tenants).slice(0, count));
        await until(async () => started === count, 'all running');
      },
      count,
    );
    release();
    return bytes;
  });
  const completed = await finishAll('completed');
  const completedOneTenant = await finishAll('completed', false, false, true);
  const ignored = await finishAll('completed', true);
  const deadLettered = await finishAll('failed', false, true);
  // The DLQ entry alone: dead-letter N tasks, then remove BullMQ's failed jobs.
  const dlqEntry = await turbinePhase(ctx, async (side, tenants) => {
    const task = submitted(side, 'work', { fail: true });
    await side.startWorker(50);
    const queue = new Queue('work', { connection: ctx.redis.raw, prefix: side.app.keys.bullPrefix() });
    try {
      return await perTask(ctx, async () => {
        await task.applyBulk(spreadOver(tenants));
        await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:failed`, N, 120_000);
        await queue.clean(0, N, 'failed');
        for (const t of tenants) await ctx.redis.raw.del(side.app.keys.storedResults(t, 'work', 'failed'));
      });
    } finally {
      await queue.close();
    }
  });
  // A stored-result entry whose job BullMQ's retention removed, as it waits for its index's next
  // prune: N tasks of one tenant completed (its index then has the larger encoding), BullMQ's
  // jobs removed, then the bytes the index's removal frees (the worker is stopped first, so
  // that no reconciler pass prunes it, and its connections' buffers are not counted).
  const staleIndexEntry = await turbinePhase(ctx, async (side, tenants) => {
    const task = submitted(side, 'work');
    const worker = await side.startWorker(50);
    const queue = new Queue('work', { connection: ctx.redis.raw, prefix: side.app.keys.bullPrefix() });
    try {
      await task.applyBulk(spreadOver(tenants.slice(0, 1)));
      await waitForCard(ctx.redis.raw, `${side.prefix}:q:work:completed`, N, 120_000);
      await worker.close();
      await queue.clean(0, N, 'completed');
      return -(await perTask(ctx, async () => void (await ctx.redis.raw.del(side.app.keys.storedResults(tenants[0]!, 'work', 'completed')))));
    } finally {
      await queue.close();
    }
  });
  const streams = await measured(ctx.redis.raw);
  return {
    waiting,
    held,
    delayed,
    running,
    completed,
    completedOneTenant,
    ignored,
    deadLettered,
    dlqEntry,
    staleIndexEntry,
    eventEntry: streams.streamBytes / Math.max(1, streams.streamEntries),
  };
}

async function peerPhase(ctx: BenchContext, run: (side: PeerSide) => Promise<number>): Promise<number> {
  await ctx.redis.flush();
  const side = new PeerSide(ctx.redis.url);
  try {
    return await run(side);
  } finally {
    await side.close();
  }
}

const peerJobs = (opts: Record<string, unknown> = {}) =>
  Array.from({ length: N }, (_, i) => ({ name: 'work', data: { tenant_id: `tenant-${i % TENANTS}`, args: ARGS }, opts: { ...PEER_JOB_OPTIONS, attempts: 1, ...opts } }));

async function peerRound(ctx: BenchContext): Promise<Figures> {
  const waiting = await peerPhase(ctx, (side) => perTask(ctx, async () => void (await side.queue.addBulk(peerJobs()))));
  const delayed = await peerPhase(ctx, (side) => perTask(ctx, async () => void (await side.queue.addBulk(peerJobs({ delay: 3_600_000 })))));
  const running = await peerPhase(ctx, async (side) => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const count = 500;
    const worker = await side.worker(count, async () => {
      started += 1;
      await gate;
      return RESULT;
    });
    void worker.run();
    const bytes = await perTask(
      ctx,
      async () => {
        await side.queue.addBulk(peerJobs().slice(0, count));
        await until(async () => started === count, 'all running');
      },
      count,
    );
    release();
    return bytes;
  });
  const finishAll = (state: 'completed' | 'failed', opts: Record<string, unknown> = {}) =>
    peerPhase(ctx, async (side) => {
      const worker = await side.worker(50, async () => {
        if (state === 'failed') throw new Error('failed on purpose');
        return RESULT;
      });
      void worker.run();
      return perTask(ctx, async () => {
        await side.queue.addBulk(peerJobs(opts));
        if (opts.removeOnComplete === true) await until(async () => (await side.queue.getJobCounts('wait', 'active')).wait === 0 && (await side.queue.getJobCounts('active')).active === 0, 'peer drained');
        else await waitForCard(ctx.redis.raw, `${side.prefix}:work:${state}`, N, 120_000);
      });
    });
  const completed = await finishAll('completed');
  const ignored = await finishAll('completed', { removeOnComplete: true });
  const deadLettered = await finishAll('failed');
  const streams = await measured(ctx.redis.raw);
  return { waiting, held: Number.NaN, delayed, running, completed, completedOneTenant: completed, ignored, deadLettered, dlqEntry: Number.NaN, staleIndexEntry: Number.NaN, eventEntry: streams.streamBytes / Math.max(1, streams.streamEntries) };
}

export const footprint: Benchmark = {
  name: 'footprint',
  async run(ctx) {
    const bench = `9. Redis bytes per task by state (${N.toLocaleString('en-US')} tasks, small args and result)`;
    const row = (metric: string): FigureRow<Figures>[1] => ({ bench, metric, turbine: [], peer: [] });
    const rows: FigureRow<Figures>[] = [
      ['waiting', row('waiting (B/task)')],
      ['held', row('held (B/task; peer n/a)')],
      ['delayed', row('delayed (B/task)')],
      ['running', row('running (B/task, 500 at once)')],
      ['completed', row('completed, result stored, 100 per tenant (B/task)')],
      ['completedOneTenant', row('completed, result stored, 2 000 of one tenant (B/task)')],
      ['ignored', row('completed, ignoreResult / removeOnComplete (B/task)')],
      ['deadLettered', row('dead-lettered: failed job + DLQ entry (peer: failed job) (B/task)')],
      ['dlqEntry', row('DLQ entry alone (B/task; peer n/a)')],
      ['staleIndexEntry', row('stored-result entry of a job retention removed, until pruned (B/task; peer n/a)')],
      ['eventEntry', row('event stream entry (B; capped per queue)')],
    ];
    const sides = { turbine: () => turbineRound(ctx), peer: () => peerRound(ctx) };
    return collectRounds(ctx, rows, sides, (r, round) =>
      ctx.log(`footprint round ${round + 1}: turbine ${JSON.stringify(r.turbine)}, peer ${JSON.stringify(r.peer)}`),
    );
  },
};
