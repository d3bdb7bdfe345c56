import { afterEach, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../src/tasks/task.js';
import type { TenantQuotas } from '../../src/tenancy/quotas.js';
import { pollUntil, uniquePrefix } from '../helpers/context.js';
import { completions, fetchTimes, maxConcurrent, mostInWindow, overfullSpans, readProbeEvents, type ProbeEvent } from '../helpers/probe.js';
import { WorkerProcess } from '../helpers/processes.js';
import { RedisServer, freePort } from '../helpers/redis-server.js';
import { TestWorld } from '../helpers/worker.js';

/** Real `turbine-worker` processes running test/fixtures/probe-app.mjs (built first by `npm test`). */

let world: TestWorld;
let workers: WorkerProcess[] = [];
let server: RedisServer | null = null;

afterEach(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await world.close();
  await server?.close();
  server = null;
});

function recordTask(): TaskDefinition<[string, number], string> {
  // The producer side of the fixture's task: same name and queue, the handler never runs here.
  return world.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _sleepMs: number) => id);
}

async function submit(count: number, sleepMs: number, tenantId = 'acme'): Promise<void> {
  const record = world.app.tasks.get('record') as TaskDefinition<[string, number], string> | undefined ?? recordTask();
  const results = await record.applyBulk(Array.from({ length: count }, (_, i) => ({ args: [`${tenantId}-${i}`, sleepMs] as [string, number], tenantId })));
  expect(results.every((r) => r.ok)).toBe(true);
}

async function startWorkers(n: number, args: string[] = []): Promise<WorkerProcess[]> {
  // Each is tracked as soon as it runs, so that afterEach stops it even if another fails to start.
  const started = await Promise.all(
    Array.from({ length: n }, () =>
      WorkerProcess.start({ url: world.url, prefix: world.prefix, args, onSpawn: (w) => workers.push(w) }),
    ),
  );
  return started;
}

const doneCount = async (): Promise<number> => completions(await readProbeEvents(world.raw, world.prefix)).size;

/** Tenant `acme` with `quotas` runs `count` tasks of `sleepMs` on 3 worker processes; their probe events. */
async function runOnThreeWorkers(quotas: TenantQuotas, count: number, sleepMs: number, concurrency: number): Promise<ProbeEvent[]> {
  world = new TestWorld();
  await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas });
  await submit(count, sleepMs);
  await startWorkers(3, ['--concurrency', String(concurrency)]);
  await pollUntil(doneCount, (n) => n === count, { what: `${count} tasks done`, timeoutMs: 60_000 });
  return readProbeEvents(world.raw, world.prefix);
}

describe('turbine-worker processes', { timeout: 120_000 }, () => {
  it('holds max_concurrent_tasks exactly across 3 processes × concurrency 20 and runs each task once', async () => {
    const events = await runOnThreeWorkers({ maxConcurrentTasks: 5 }, 300, 15, 20);
    expect(maxConcurrent(events, 'acme')).toBe(5);
    expect([...completions(events).values()].every((n) => n === 1)).toBe(true);
    expect(new Set(events.map((e) => e.pid)).size).toBe(3);
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0, 0]);
    workers = [];
  });

  it('holds a rate limit exactly across 3 processes: 20 per second, 100 tasks', async () => {
    const events = await runOnThreeWorkers({ maxTasksPerSecond: 20 }, 100, 5, 10);
    const starts = await fetchTimes(world.raw, `${world.prefix}:q:work`);
    expect(starts).toHaveLength(100);
    expect(mostInWindow(starts, 1000)).toBeLessThanOrEqual(40);
    expect(overfullSpans(starts, 20, 20)).toEqual([]);
    // The last of 100 starts comes (100 - 20) / 20 = 4 s after the first, at least.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(4000 - 30);
    expect(new Set(events.map((e) => e.pid)).size).toBeGreaterThan(1);
  });

  it('loses no task when a worker is killed with SIGKILL mid-task, and the capacity comes back', async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 5 } });
    await submit(80, 250);
    const fast = ['--concurrency', '20', '--lock-duration-ms', '2000', '--stalled-interval-ms', '1000', '--reconciler-interval-ms', '500'];
    const [victim] = await startWorkers(3, fast);
    await pollUntil(doneCount, (n) => n >= 10, { what: 'work under way', timeoutMs: 30_000 });
    const openRuns = async (): Promise<number> => {
      const mine = (await readProbeEvents(world.raw, world.prefix)).filter((e) => e.pid === victim!.pid);
      return mine.filter((e) => e.kind === 'S').length - mine.filter((e) => e.kind === 'E').length;
    };
    await pollUntil(openRuns, (n) => n > 0, { what: 'the victim in the middle of a task', intervalMs: 5 });
    victim!.kill('SIGKILL');
    await victim!.exited;
    const killedAt = new Map([[victim!.pid, Date.now()]]);
    await pollUntil(doneCount, (n) => n === 80, { what: 'every task done', timeoutMs: 60_000 });

    const events = await readProbeEvents(world.raw, world.prefix);
    const endedByVictim = new Set(events.filter((e) => e.pid === victim!.pid && e.kind === 'E').map((e) => `${e.taskId}:${e.attempt}`));
    const interrupted = new Set(
      events.filter((e) => e.pid === victim!.pid && e.kind === 'S' && !endedByVictim.has(`${e.taskId}:${e.attempt}`)).map((e) => e.id),
    );
    expect(interrupted.size).toBeGreaterThan(0);
    const counts = completions(events);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    // At-least-once: only a task the killed worker was running may have run twice.
    expect(duplicated.every((id) => interrupted.has(id))).toBe(true);
    expect(maxConcurrent(events, 'acme', killedAt)).toBeLessThanOrEqual(5);
    const stats = await pollUntil(() => world.manager.getTenantStats('acme'), (s) => s.concurrentTasks === 0 && s.pendingTasks === 0, {
      what: 'capacity back',
    });
    expect(stats.heldTasks).toBe(0);
  });

  it('drains on SIGTERM: running tasks finish, then the process exits 0', async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await submit(6, 600);
    const [worker] = await startWorkers(1, ['--concurrency', '6']);
    await pollUntil(async () => (await readProbeEvents(world.raw, world.prefix)).filter((e) => e.kind === 'S').length, (n) => n === 6, {
      what: 'six running',
    });
    worker!.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    workers = [];
    expect(await doneCount()).toBe(6);
    // Its last line, written just before the exit, is not lost in flight.
    expect(worker!.logs.at(-1)).toMatchObject({ msg: 'stopped' });
  });

  it('on a second signal (or after the grace period) puts running tasks back; another worker runs them', async () => {
    world = new TestWorld();
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 4 } });
    await submit(4, 30_000);
    const [first] = await startWorkers(1, ['--concurrency', '4', '--shutdown-grace-ms', '60000']);
    await pollUntil(async () => (await readProbeEvents(world.raw, world.prefix)).filter((e) => e.kind === 'S').length, (n) => n === 4, {
      what: 'four running',
    });
    first!.kill('SIGTERM');
    await first!.waitForLog((l) => l.msg === 'stopping: no new tasks');
    first!.kill('SIGINT');
    expect(await first!.exited).toBe(0);
    // Its handlers died with it: their runs end here.
    const firstStoppedAt = Date.now();
    workers = [];
    expect(await doneCount()).toBe(0);
    await world.raw.set(`${world.prefix}:probe:fast`, '1');
    await startWorkers(1, ['--concurrency', '4']);
    await pollUntil(doneCount, (n) => n === 4, { what: 'requeued tasks done' });
    const events = await readProbeEvents(world.raw, world.prefix);
    // Put back without using an attempt, and the cap held across the hand-over.
    expect(events.filter((e) => e.kind === 'E').every((e) => e.attempt === 1)).toBe(true);
    expect(maxConcurrent(events, 'acme', new Map([[first!.pid, firstStoppedAt]]))).toBeLessThanOrEqual(4);
  });

  it('survives a Redis restart mid-run without losing an accepted task', async () => {
    server = await RedisServer.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    world = new TestWorld(server.url);
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxConcurrentTasks: 8 } });
    await world.manager.createTenant({ tenantId: 'after-restart', name: 'B' });
    await submit(300, 5);
    // A reply lost in the restart can leave a fetched task orphaned in BullMQ's active list until
    // its lock expires and the stalled check returns it: short ones keep that wait short.
    const fast = ['--concurrency', '10', '--reconciler-interval-ms', '500', '--lock-duration-ms', '2000', '--stalled-interval-ms', '1000'];
    await startWorkers(2, fast);
    await pollUntil(doneCount, (n) => n >= 50, { what: 'work under way', timeoutMs: 30_000 });
    await server.restart();
    // Producers recover on their own too.
    await pollUntil(
      () => submit(1, 5, 'after-restart').then(() => true, () => false),
      (ok) => ok,
      { what: 'a submission after the restart', timeoutMs: 20_000 },
    );
    await pollUntil(doneCount, (n) => n === 301, { what: 'every task done after the restart', timeoutMs: 60_000 });
    for (const w of workers) {
      const ready = await fetch(`http://127.0.0.1:${w.port}/readyz`);
      expect(ready.status).toBe(200);
    }
  });

  it('still exits on SIGTERM when Redis is gone, within the grace period and a few seconds', async () => {
    server = await RedisServer.start();
    world = new TestWorld(server.url);
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await submit(4, 60_000);
    const [worker] = await startWorkers(1, ['--concurrency', '4', '--shutdown-grace-ms', '1000']);
    await pollUntil(async () => (await readProbeEvents(world.raw, world.prefix)).filter((e) => e.kind === 'S').length, (n) => n === 4, {
      what: 'four running',
    });
    await server.stop('SIGKILL');
    const stoppedAt = Date.now();
    worker!.kill('SIGTERM');
    expect(await worker!.exited).toBe(0);
    // Grace (1 s) plus the time-boxed steps that need Redis (3 s each at most).
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    workers = [];
    await server.launch(); // an empty Redis on the same port, for the cleanup
  });

  it('starts while Redis is down, says so, and consumes once Redis is up', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const prefix = uniquePrefix();
    // Not ready (no 'consuming' yet): spawn without waiting for it.
    const worker = WorkerProcess.spawnOnly({ url, prefix, onSpawn: (w) => workers.push(w) });
    await worker.waitForLog((l) => l.msg === 'health server listening on /healthz and /readyz');
    await worker.waitForLog((l) => l.msg === 'waiting for Redis; reconnecting with backoff');
    expect((await fetch(`http://127.0.0.1:${worker.port}/readyz`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${worker.port}/healthz`)).status).toBe(200);
    server = await RedisServer.startOn(port);
    world = new TestWorld(server.url, prefix);
    await worker.waitForLog((l) => l.msg === 'consuming', 30_000);
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await submit(5, 1);
    await pollUntil(doneCount, (n) => n === 5, { what: 'work once Redis is up' });
    expect((await fetch(`http://127.0.0.1:${worker.port}/readyz`)).status).toBe(200);
  });

  it('names no credential in its logs and no URL at all in /readyz, whatever form the password takes', async () => {
    server = await RedisServer.start();
    world = new TestWorld(server.url);
    const port = await freePort();
    const url = `redis://app:s3cret-user@127.0.0.1:${port}/0?password=s3cret-query`;
    const worker = WorkerProcess.spawnOnly({ url, prefix: uniquePrefix(), onSpawn: (w) => workers.push(w) });
    await worker.waitForLog((l) => l.msg === 'waiting for Redis; reconnecting with backoff');
    const readyz = await fetch(`http://127.0.0.1:${worker.port}/readyz`);
    const body = await readyz.text();
    expect(readyz.status).toBe(503);
    expect(JSON.parse(body)).toEqual({ status: 'not ready', problems: expect.arrayContaining(['not connected to Redis']) });
    expect(body).not.toMatch(/s3cret|127\.0\.0\.1|redis:/);
    expect(JSON.stringify(worker.logs)).not.toContain('s3cret');
    expect(JSON.stringify(worker.logs)).toContain('password=***');
  });

  it('reports not ready while Redis is frozen, and ready again after', async () => {
    server = await RedisServer.start();
    world = new TestWorld(server.url);
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    const [worker] = await startWorkers(1);
    const readyz = () => fetch(`http://127.0.0.1:${worker!.port}/readyz`).then((r) => r.status);
    const healthz = () => fetch(`http://127.0.0.1:${worker!.port}/healthz`).then((r) => r.status);
    await pollUntil(readyz, (s) => s === 200, { what: 'ready' });
    server.signal('SIGSTOP');
    try {
      await pollUntil(readyz, (s) => s === 503, { what: 'not ready while frozen', timeoutMs: 15_000 });
      expect(await healthz()).toBe(200);
    } finally {
      server.signal('SIGCONT');
    }
    await pollUntil(readyz, (s) => s === 200, { what: 'ready again', timeoutMs: 15_000 });
    await submit(5, 1);
    await pollUntil(doneCount, (n) => n === 5, { what: 'work after the freeze' });
  });
});
