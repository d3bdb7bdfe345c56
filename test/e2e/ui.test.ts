/// <reference lib="dom" />
// The page.evaluate callbacks run in the browser, where the DOM types apply.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { cleanEnv, runBinary } from '../helpers/cli.js';
import { pollUntil } from '../helpers/context.js';
import { WorkerProcess } from '../helpers/processes.js';
import { ConsoleProcess, launchChromium } from '../helpers/ui.js';
import { tenantPerShard } from '../helpers/shards.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * The web console in a real browser (Debian's chromium driven by playwright-core), served by
 * the real `turbine ui` binary, against a real Redis and a real `turbine-worker` process.
 * Screenshots go to UI_SCREENSHOT_DIR (docs/images to refresh the docs), else a temporary dir.
 */

const TOKEN = 'test-console-token';
const SHOTS = process.env.UI_SCREENSHOT_DIR ?? mkdtempSync(path.join(tmpdir(), 'turbine-ui-'));

let world: TestWorld;
let worker: WorkerProcess;
let web: ConsoleProcess;
let browser: Browser;

interface StatsJson {
  tasks_hour: number;
  concurrent_tasks: number;
  held_tasks: number;
  waiting_tasks: number;
  deferred_tasks: number;
}

async function cli(...args: string[]): Promise<unknown> {
  const result = await runBinary([...args, '--json', '--backend-url', world.url, '--prefix', world.prefix], cleanEnv());
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

const cell = (page: Page, tenant: string, field: string): Promise<string> =>
  page.locator(`tr[data-tenant="${tenant}"] [data-field="${field}"]`).innerText();

/** Signs in from acme's page as `name` with the token; the page is acme's again after. */
async function signIn(page: Page, name: string): Promise<void> {
  await page.goto(`${web.url}/tenants/acme`);
  await page.getByRole('link', { name: 'Sign in to make changes' }).click();
  await page.getByLabel('Your name, for the audit trail').fill(name);
  await page.getByLabel('Console token').fill(TOKEN);
  await page.getByLabel('Console token').press('Enter');
  // The notice of the page loaded after the action (innerText waits for it to be there).
  expect(await page.locator('p.notice[role="status"]').innerText()).toContain(`Signed in as ui:${name}`);
}

/** Clicks an action's button, checks what the confirmation page says, and confirms. */
async function confirmAction(page: Page, button: string, what: string): Promise<string> {
  await page.getByRole('button', { name: button }).click();
  expect(await page.locator('#what').innerText()).toContain(what);
  await page.getByRole('button', { name: 'Confirm' }).click();
  return page.locator('p.notice[role="status"]').innerText();
}

interface AuditJson {
  actor: string;
  action: string;
  changes: Record<string, unknown>;
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `ui-${name}.png`), fullPage: true });
}

beforeAll(async () => {
  world = new TestWorld();
  await world.manager.createTenant({ tenantId: 'acme', name: 'ACME Corporation', quotas: { maxConcurrentTasks: 2, maxTasksPerHour: 1000 } });
  await world.manager.createTenant({ tenantId: 'globex', name: 'Globex', quotas: { maxTasksPerHour: 300 } });
  worker = await WorkerProcess.start({ url: world.url, prefix: world.prefix, args: ['--concurrency', '10'] });
  // The fixture's task sleeps for ten minutes, longer than the file takes on a loaded machine (a
  // minute was not): acme runs 2 (its cap) and holds 6, steadily, until the worker is killed.
  const record = world.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _ms: number) => id) as TaskDefinition<[string, number], string>;
  await record.applyBulk(Array.from({ length: 8 }, (_, i) => ({ args: [`a${i}`, 600_000] as [string, number], tenantId: 'acme' })));
  await record.applyBulk(Array.from({ length: 3 }, (_, i) => ({ args: [`g${i}`, 10] as [string, number], tenantId: 'globex' })));
  // No worker has a task of this name: it is dead-lettered as unknown_task.
  await world.app.task({ name: 'unheard-of', queue: 'work', retries: 0 }, async () => null).applyAsync({ args: [], tenantId: 'globex' });
  await pollUntil(
    async () => [(await cli('tenant', 'stats', 'acme')) as StatsJson, (await cli('dlq', 'list', '--tenant', 'globex')) as unknown[]] as const,
    ([stats, dead]) => stats.concurrent_tasks === 2 && stats.held_tasks === 6 && dead.length === 1,
    { what: 'acme running 2 and holding 6, one dead letter of globex', timeoutMs: 30_000 },
  );
  web = await ConsoleProcess.start({ url: world.url, prefix: world.prefix, token: TOKEN, refreshMs: 500 });
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  worker?.kill('SIGKILL');
  await worker?.exited;
  await world?.close();
});

describe('turbine ui in Chromium', { timeout: 60_000 }, () => {
  it('shows on the Tenants page the numbers `turbine tenant stats` prints, and sorts by a column', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${web.url}/`);
    const stats = (await cli('tenant', 'stats', 'acme')) as StatsJson;
    expect(await cell(page, 'acme', 'running')).toBe(`${stats.concurrent_tasks} / 2`);
    expect(await cell(page, 'acme', 'held')).toBe(String(stats.held_tasks));
    expect(await cell(page, 'acme', 'waiting')).toBe(String(stats.waiting_tasks));
    expect(await cell(page, 'acme', 'delayed')).toBe(String(stats.deferred_tasks));
    expect(await cell(page, 'acme', 'hour')).toBe(`${stats.tasks_hour} / 1000`);
    expect(await cell(page, 'globex', 'dlq')).toBe('1');
    expect(await cell(page, 'acme', 'enabled')).toBe('yes');

    await page.getByRole('link', { name: 'Held' }).click();
    await expect.poll(() => page.locator('th[aria-sort="descending"]').innerText()).toContain('Held');
    expect(await page.locator('tbody tr').first().getAttribute('data-tenant')).toBe('acme');
    await shot(page, 'tenants');
    await page.close();
  });

  it('shows a tenant: quota usage, held tasks with their reason, the audit trail', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${web.url}/`);
    await page.getByRole('link', { name: 'acme', exact: true }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toContain('Tenant acme');
    const meter = page.getByRole('meter', { name: 'Running at once: 2 of 2' });
    expect(await meter.getAttribute('value')).toBe('2');
    expect(await page.locator('[data-live="held"]').innerText()).toContain('6 held because the tenant runs 2 of its cap of 2');
    expect(await page.locator('[data-audit-action="create"]').count()).toBe(1);
    // Usage by hour: the numbers `turbine usage` prints (8 accepted, 2 started and still running).
    const usage = (await cli('usage', '--tenant', 'acme')) as { period_start: string; accepted: number; started: number }[];
    expect(usage.reduce((sum, row) => sum + row.accepted, 0)).toBe(8);
    for (const row of usage) {
      const hour = page.locator(`[data-live="usage"] tr[data-usage-hour="${row.period_start}"]`);
      expect(await hour.locator('[data-field="accepted"]').innerText()).toBe(String(row.accepted));
      expect(await hour.locator('[data-field="started"]').innerText()).toBe(String(row.started));
    }
    await shot(page, 'tenant');
    await page.close();
  });

  it('shows queues by tenant and the worker that serves them', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${web.url}/queues`);
    const queue = page.getByRole('region', { name: 'work' });
    expect(await queue.getByRole('row', { name: /^acme/ }).innerText()).toMatch(/acme\s+6\s+0\s+2/);
    await shot(page, 'queues');
    await page.getByRole('link', { name: 'Workers' }).click();
    const rows = page.locator('[data-live="workers"] tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().innerText()).toContain(String(worker.pid));
    await page.close();
  });

  it('lists, filters by task and reason, and shows dead letters', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${web.url}/dead-letters`);
    await page.getByLabel('Task').fill('unheard-of');
    await page.getByLabel('Reason').fill('unknown_task');
    await page.getByLabel('Reason').press('Enter');
    const [entry] = (await cli('dlq', 'list', '--tenant', 'globex')) as { entry_id: string }[];
    await page.getByRole('link', { name: entry!.entry_id }).click();
    expect(await page.locator('dl.fields').innerText()).toContain('unknown_task');
    for (const filter of ['reason=timeout', 'task=record']) {
      await page.goto(`${web.url}/dead-letters?${filter}`);
      expect(await page.locator('[data-live="dead-letters"]').innerText()).toContain('No dead letters');
    }
    await page.goto(`${web.url}/dead-letters?tenant=globex`);
    await shot(page, 'dead-letters');
    await page.close();
  });

  it('refuses actions without the token', async () => {
    const page = await browser.newPage();
    await page.goto(`${web.url}/tenants/acme`);
    expect(await page.getByRole('button', { name: /Disable tenant/ }).count()).toBe(0);
    const status = await page.evaluate(async () => {
      const response = await fetch('/actions/disable', { method: 'POST', body: new URLSearchParams({ tenant: 'acme', confirmed: 'yes' }) });
      return response.status;
    });
    expect(status).toBe(403);
    expect(((await cli('tenant', 'get', 'acme')) as { enabled: boolean }).enabled).toBe(true);
    await page.close();
  });

  it('disables a tenant after sign-in and confirmation, by keyboard; another open page follows; the audit trail names the operator', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const watcher = await context.newPage();
    await watcher.goto(`${web.url}/`);
    const page = await context.newPage();
    await signIn(page, 'dana');

    await page.getByRole('button', { name: 'Disable tenant…' }).focus();
    await page.keyboard.press('Enter');
    // The confirmation page says what will happen and focuses Confirm: Enter confirms.
    expect(await page.locator('#what').innerText()).toContain('Disable tenant acme');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Confirm');
    await page.keyboard.press('Enter');
    expect(await page.locator('p.notice[role="status"]').innerText()).toContain('Disabled tenant acme.');

    expect(((await cli('tenant', 'get', 'acme')) as { enabled: boolean }).enabled).toBe(false);
    const [latest] = (await cli('tenant', 'audit', 'acme')) as { actor: string; action: string }[];
    expect(latest).toMatchObject({ actor: 'ui:dana', action: 'disable' });
    const auditRow = page.locator('[data-audit-action="disable"]');
    expect(await auditRow.innerText()).toContain('ui:dana');
    await shot(page, 'tenant-disabled');

    // The page opened before the change shows it without a reload.
    await watcher.waitForFunction(
      () => document.querySelector('tr[data-tenant="acme"] [data-field="enabled"]')?.textContent === 'no',
      undefined,
      { timeout: 10_000 },
    );
    await context.close();
  });

  it('cancels a held task and drains the tenant, each confirmed in the page and audited with the operator', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await signIn(page, 'erin');
    const before = (await cli('tenant', 'stats', 'acme')) as StatsJson;
    expect(before.held_tasks).toBeGreaterThan(1);

    // Cancel: the first held task, by the button on its row.
    const taskId = (await page.locator('tr[data-held-task]').first().getAttribute('data-held-task'))!;
    const cancelled = await confirmAction(page, `Cancel ${taskId}…`, `Cancel task ${taskId} of tenant acme in queue work`);
    expect(cancelled).toContain(`Cancelled task ${taskId} of acme (it was held).`);
    expect(((await cli('tenant', 'stats', 'acme')) as StatsJson).held_tasks).toBe(before.held_tasks - 1);
    expect(await page.locator(`tr[data-held-task="${taskId}"]`).count()).toBe(0);
    let [latest] = (await cli('tenant', 'audit', 'acme')) as AuditJson[];
    expect(latest).toMatchObject({ actor: 'ui:erin', action: 'cancel', changes: { queue: 'work', task_id: taskId, state: 'held' } });
    expect(await page.locator('[data-audit-action="cancel"]').innerText()).toContain('ui:erin');

    // Drain: every task that has not started goes; the two running finish.
    const drained = await confirmAction(page, 'Drain tenant…', 'Drain tenant acme: delete its waiting, held and delayed tasks in every queue');
    expect(drained).toContain(`Drained acme in every queue: removed 0 waiting, ${before.held_tasks - 1} held and 0 delayed tasks.`);
    const after = (await cli('tenant', 'stats', 'acme')) as StatsJson;
    expect(after).toMatchObject({ held_tasks: 0, waiting_tasks: 0, deferred_tasks: 0, concurrent_tasks: 2 });
    [latest] = (await cli('tenant', 'audit', 'acme')) as AuditJson[];
    expect(latest).toMatchObject({ actor: 'ui:erin', action: 'drain' });
    expect(await page.locator('[data-audit-action="drain"]').innerText()).toContain('ui:erin');
    expect(await page.locator('[data-live="held"]').innerText()).toContain('None held.');
    await context.close();
  });

  it('is usable by keyboard and every control has a label', async () => {
    const page = await browser.newPage();
    for (const pathName of ['/', '/tenants/acme', '/queues', '/dead-letters', '/workers', '/sign-in']) {
      await page.goto(`${web.url}${pathName}`);
      const unlabeled = await page.evaluate(() =>
        [...document.querySelectorAll('input:not([type=hidden]), select, button, meter')]
          .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label') && !el.textContent?.trim())
          .map((el) => el.outerHTML),
      );
      expect(unlabeled, pathName).toEqual([]);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('h1').count()).toBe(1);
    }
    await page.goto(`${web.url}/`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Tenants');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/queues$/);
    await page.close();
  });

  it('`turbine ui --shards 3` shows the tenants of every shard', async () => {
    const sharded = new TestWorld(undefined, undefined, { shards: 3 });
    const tenants = tenantPerShard(3);
    for (const tenantId of tenants) await sharded.tenant(tenantId);
    const console3 = await ConsoleProcess.start({ url: sharded.url, prefix: sharded.prefix, shards: 3 });
    try {
      const page = await (await fetch(`${console3.url}/`)).text();
      for (const tenantId of tenants) expect(page).toContain(`data-tenant="${tenantId}"`);
      expect(await (await fetch(`${console3.url}/tenants/${tenants[2]}`)).text()).toContain('shard 2 (of 3, numbered from 0)');
    } finally {
      expect(await console3.stop()).toBe(0);
      await sharded.close();
    }
  });

  it('refuses a bad port as bad usage (exit 2), and stops on SIGTERM with exit 0', async () => {
    const bad = await runBinary(['ui', '--port', '99999'], cleanEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid --port 99999: expected a port number from 0 to 65535');
    expect(await web.stop()).toBe(0);
  });
});
