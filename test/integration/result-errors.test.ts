// AsyncResult.get() rejects with the class of the failure the worker saw, so producers can catch
// a result that was too large or a handler timeout by class, and read a handler error's name and
// code, across a real worker and Redis.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResultTooLargeError, TaskFailedError } from '../../src/core/errors.js';
import { HandlerTimeoutError } from '../../src/index.js';
import { TestWorld } from '../helpers/worker.js';

let world: TestWorld;

beforeEach(() => {
  world = new TestWorld();
});

afterEach(() => world.close());

describe('AsyncResult.get() on a failed task', () => {
  it('rejects with ResultTooLargeError when the result was over max_result_size_bytes', async () => {
    const big = world.app.task({ name: 'big', retries: 0 }, async () => 'x'.repeat(200));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxResultSizeBytes: 100 } });
    await world.startWorker();
    const result = await big.applyAsync({ args: [], tenantId: 'acme' });
    const error = await result.get({ timeoutMs: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResultTooLargeError);
    expect(error).toMatchObject({ code: 'RESULT_TOO_LARGE', tenantId: 'acme', sizeBytes: 202, limitBytes: 100 });
  });

  it('applies a lowered max_result_size_bytes within seconds, though workers keep policies for 30 s', async () => {
    const medium = world.app.task({ name: 'medium', retries: 0 }, async () => 'x'.repeat(200));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A', quotas: { maxResultSizeBytes: 1000 } });
    await world.startWorker();
    // The worker has the tenant's policy cached from this run.
    await expect((await medium.applyAsync({ args: [], tenantId: 'acme' })).get({ timeoutMs: 15_000 })).resolves.toHaveLength(200);
    await world.manager.updateTenant('acme', { quotas: { maxResultSizeBytes: 100 } });
    // The change notice reaches the worker's subscription apart from the tasks' connection:
    // tasks submitted from now on are refused once it has arrived, well before the expiry would.
    const deadline = Date.now() + 5000;
    let error: unknown = null;
    while (!(error instanceof ResultTooLargeError) && Date.now() < deadline) {
      error = await (await medium.applyAsync({ args: [], tenantId: 'acme' })).get({ timeoutMs: 15_000 }).catch((e: unknown) => e);
    }
    expect(error).toBeInstanceOf(ResultTooLargeError);
  });

  it('rejects with HandlerTimeoutError when the handler ran past its timeout', async () => {
    const slow = world.app.task({ name: 'slow', retries: 0, timeoutMs: 50 }, () => new Promise<void>(() => undefined));
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await world.startWorker();
    const result = await slow.applyAsync({ args: [], tenantId: 'acme' });
    const error = await result.get({ timeoutMs: 15_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HandlerTimeoutError);
    expect(error).toMatchObject({ code: 'HANDLER_TIMEOUT', timeoutMs: 50, message: 'Task timed out after 50 ms' });
  });

  it("rejects with TaskFailedError carrying the handler error's name and code", async () => {
    class PaymentDeclined extends Error {
      readonly code = 'CARD_DECLINED';
      constructor() {
        super('card declined');
        this.name = 'PaymentDeclined';
      }
    }
    const charge = world.app.task({ name: 'charge', retries: 0 }, async () => {
      throw new PaymentDeclined();
    });
    const plain = world.app.task({ name: 'plain', retries: 0 }, async () => {
      throw new TypeError('not a number');
    });
    await world.manager.createTenant({ tenantId: 'acme', name: 'A' });
    await world.startWorker();
    const declined = await (await charge.applyAsync({ args: [], tenantId: 'acme' })).get({ timeoutMs: 15_000 }).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(TaskFailedError);
    expect(declined).toMatchObject({ reason: 'card declined', remoteName: 'PaymentDeclined', remoteCode: 'CARD_DECLINED' });
    const typeError = await (await plain.applyAsync({ args: [], tenantId: 'acme' })).get({ timeoutMs: 15_000 }).catch((e: unknown) => e);
    expect(typeError).toMatchObject({ remoteName: 'TypeError', remoteCode: undefined, reason: 'not a number' });
    expect((typeError as TaskFailedError).remoteStack).toMatch(/^TypeError: not a number\n\s+at /);
  });
});
