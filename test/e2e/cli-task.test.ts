import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCliBuilt, expectFailure, parseJson, runBinary, type CliResult } from '../helpers/cli.js';
import { TestWorld } from '../helpers/worker.js';

/** The real `turbine task …` and `turbine tenant drain` binaries against the test Redis. */
let world: TestWorld;

beforeAll(() => {
  assertCliBuilt();
});

beforeEach(() => {
  world = new TestWorld();
});

afterEach(() => world.close());

function turbine(...args: string[]): Promise<CliResult> {
  return runBinary([...args, '--backend-url', world.url, '--prefix', world.prefix, '--actor', 'ops']);
}

function ok(result: CliResult): string {
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** acme is capped at 2: two tasks wait in the queue, three are held back, one is delayed. */
async function seed(): Promise<string[]> {
  const work = world.app.task({ name: 'work' }, async (n: number) => n);
  await world.tenant('acme', { maxConcurrentTasks: 2 });
  await world.tenant('globex');
  const ids: string[] = [];
  for (let n = 0; n < 5; n++) ids.push((await work.applyAsync({ args: [n], tenantId: 'acme', taskId: `job-${n}` })).taskId);
  ids.push((await work.applyAsync({ args: [9], tenantId: 'acme', taskId: 'later', delayMs: 600_000 })).taskId);
  await work.applyAsync({ args: [0], tenantId: 'globex', taskId: 'job-0' });
  return ids;
}

describe('turbine task list / show', () => {
  it('lists held tasks too, with their place in line; filters by state; --json', async () => {
    await seed();
    const rows = parseJson<{ task_id: string; state: string; position?: number }[]>(await turbine('task', 'list', '--tenant', 'acme', '--json'));
    expect(rows.map((r) => [r.task_id, r.state, r.position ?? null])).toEqual([
      ['job-2', 'held', 1],
      ['job-3', 'held', 2],
      ['job-4', 'held', 3],
      ['job-0', 'waiting', null],
      ['job-1', 'waiting', null],
      ['later', 'deferred', null],
    ]);
    const held = ok(await turbine('task', 'list', '--tenant', 'acme', '--state', 'held')).trimEnd().split('\n');
    expect(held[0]).toMatch(/^TASK ID +QUEUE +TASK +STATE +PLACE +HELD BY +SUBMITTED$/);
    expect(held.slice(1).map((l) => l.split(/ +/)[0])).toEqual(['job-2', 'job-3', 'job-4']);
    expect(held.slice(1).map((l) => l.split(/ +/)[5])).toEqual(['cap', 'cap', 'cap']);
    expect(ok(await turbine('task', 'list', '--tenant', 'globex', '--state', 'held'))).toBe("No tasks of tenant 'globex' held.\n");
    expectFailure(await turbine('task', 'list', '--tenant', 'acme', '--state', 'lost'), 2, 'Invalid values');
    expectFailure(await turbine('task', 'list'), 2, 'Missing required argument: tenant');
  });

  it('shows a held task: why it waits and its place in line; another tenant sees nothing', async () => {
    await seed();
    const out = ok(await turbine('task', 'show', 'job-3', '--tenant', 'acme'));
    expect(out).toMatch(/State: +held\n/);
    expect(out).toMatch(/Held because: +the tenant is at max_concurrent_tasks\n/);
    expect(out).toMatch(/Place in line: +2 /);
    expect(parseJson(await turbine('task', 'show', 'job-3', '--tenant', 'acme', '--json'))).toMatchObject({
      task_id: 'job-3', state: 'held', held_reason: 'cap', position: 2,
    });
    expect(parseJson(await turbine('task', 'show', 'job-0', '--tenant', 'globex', '--json'))).toMatchObject({ tenant_id: 'globex', state: 'waiting' });
    expectFailure(await turbine('task', 'show', 'job-3', '--tenant', 'globex'), 1, "Task 'job-3' not found");
  });

  it('says a task waits for the rate limit', async () => {
    const work = world.app.task({ name: 'work' }, async (n: number) => n);
    await world.tenant('acme', { maxTasksPerMinute: 60 });
    // One second's worth of 60 per minute is one task: the second is held by the rate.
    for (let n = 0; n < 2; n++) await work.applyAsync({ args: [n], tenantId: 'acme', taskId: `job-${n}` });
    expect(ok(await turbine('task', 'show', 'job-1', '--tenant', 'acme'))).toMatch(/Held because: +the tenant's rate limit .* allows no start yet\n/);
    const rows = parseJson<{ task_id: string; held_reason?: string }[]>(await turbine('task', 'list', '--tenant', 'acme', '--state', 'held', '--json'));
    expect(rows).toMatchObject([{ task_id: 'job-1', held_reason: 'rate' }]);
  });
});

describe('turbine task cancel', () => {
  it('cancels a held task (exit 0, audited) and refuses an unknown one (exit 1)', async () => {
    await seed();
    expect(ok(await turbine('task', 'cancel', 'job-3', '--tenant', 'acme'))).toBe("Cancelled task 'job-3' of tenant 'acme' (it was held)\n");
    expectFailure(await turbine('task', 'cancel', 'job-3', '--tenant', 'acme'), 1, 'Not cancelled: no such task');
    expect(parseJson(await turbine('task', 'cancel', 'job-0', '--tenant', 'acme', '--json'))).toEqual({
      task_id: 'job-0', tenant_id: 'acme', queue: 'default', cancelled: true, state: 'waiting',
    });
    // globex's job-0 is another task, untouched.
    expect(await world.app.result('job-0', { tenantId: 'globex' }).status()).toBe('waiting');
    const audit = await world.manager.getAuditLog('acme');
    expect(audit.slice(0, 2).map((e) => [e.action, e.actor])).toEqual([['cancel', 'ops'], ['cancel', 'ops']]);
  });
});

describe('turbine tenant drain', () => {
  it('removes the waiting, held and delayed tasks of a tenant with --force, and needs it without a terminal', async () => {
    await seed();
    expectFailure(await turbine('tenant', 'drain', 'acme'), 2, 'without confirmation');
    expect(ok(await turbine('tenant', 'drain', 'acme', '--force'))).toBe(
      "Drained tenant 'acme': removed 2 waiting, 3 held and 1 delayed task(s)\n",
    );
    expect(parseJson(await turbine('task', 'list', '--tenant', 'acme', '--json'))).toEqual([]);
    expect(parseJson(await turbine('task', 'list', '--tenant', 'globex', '--json'))).toHaveLength(1);
    expect(parseJson(await turbine('tenant', 'drain', 'acme', '--force', '--queue', 'default', '--json'))).toEqual({
      tenant_id: 'acme', queue: 'default', waiting: 0, held: 0, delayed: 0,
    });
    expectFailure(await turbine('tenant', 'drain', 'nobody', '--force'), 1, "Tenant 'nobody' not found");
  });
});
