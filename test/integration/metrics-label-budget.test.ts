import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { instrumentProducer } from '../../src/metrics/producer.js';
import { TestWorld } from '../helpers/worker.js';

let world: TestWorld;
let server: Server;

beforeEach(() => {
  world = new TestWorld();
});

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await world.close();
});

it('refused submissions for made-up tenants do not spend the tenant label budget', async () => {
  const registry = new Registry();
  const { stop } = instrumentProducer(world.app, { registry, maxTenants: 3 });
  world.defer(async () => stop());
  server = createServer((_req, res) => void registry.metrics().then((text) => res.end(text)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();

  const t = world.app.task({ name: 't' }, async () => 1);
  for (let i = 0; i < 10; i++) {
    await expect(t.applyAsync({ args: [], tenantId: `made-up-${i}` })).rejects.toThrow(/not found/);
  }
  await world.tenant('acme');
  await t.applyAsync({ args: [], tenantId: 'acme' });

  const text = await scrape();
  expect(text).toMatch(/turbine_tasks_submitted_total\{tenant="acme",queue="default"\} 1/);
  expect(text).toMatch(/turbine_tasks_rejected_total\{tenant="__other__",queue="default",reason="not_found"\} 10/);
  expect(text).not.toContain('made-up-');
});
