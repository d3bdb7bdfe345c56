import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyLayout } from '../../src/core/keys.js';
import { SnapshotReader, readSnapshot, type MetricsSnapshot } from '../../src/metrics/snapshot.js';
import { TestWorld } from '../helpers/worker.js';

let world: TestWorld;
let keys: KeyLayout;
const READER = 'test-replica';

beforeEach(async () => {
  world = new TestWorld();
  keys = new KeyLayout(world.prefix);
  // The snapshot is read by the elected reconciler replica only: this test holds the lock.
  await world.raw.set(keys.reconcilerLock(), READER);
});

afterEach(() => world.close());

const idleIds = Array.from({ length: 450 }, (_, i) => `idle-${String(i).padStart(3, '0')}`);

async function createIdleTenants(): Promise<void> {
  for (let i = 0; i < idleIds.length; i += 50) {
    await Promise.all(idleIds.slice(i, i + 50).map((tenantId) => world.manager.createTenant({ tenantId, name: tenantId })));
  }
}

function figuresOf(snapshot: MetricsSnapshot | null, tenantId: string): MetricsSnapshot['tenants'][number] | undefined {
  return snapshot?.tenants.find((t) => t.tenantId === tenantId);
}

describe('the metrics snapshot, read in slices', () => {
  it('reads every tenant of a shard with more tenants than one script call reads', async () => {
    await createIdleTenants();
    const snapshot = await readSnapshot(world.raw, [keys], READER);
    expect(snapshot?.tenants.map((t) => t.tenantId).sort()).toEqual(idleIds);
  });

  it('reads the active tenants at every refresh and the idle ones a slice at a time, and forgets deleted ones after a full walk', async () => {
    await createIdleTenants();
    await world.tenant('busy');
    const work = world.app.task({ name: 'work', queue: 'metered' }, async () => undefined);
    const reader = new SnapshotReader(world.raw, [keys], READER, 100);

    const first = await reader.read();
    // The active tenant is read in full; of 451 tenants, a slice of about 100 more (SSCAN's COUNT is a hint).
    await work.applyBulk(Array.from({ length: 3 }, () => ({ args: [] as [], tenantId: 'busy' })));
    const second = await reader.read();
    expect(figuresOf(second, 'busy')).toMatchObject({ waiting: 3 });
    expect(second!.queues.find((q) => q.queue === 'metered')?.states.waiting).toBe(3);
    expect(first!.tenants.length).toBeLessThan(idleIds.length);

    // A tenant deleted while idle is dropped once the walk over all tenants has come round.
    await world.manager.deleteTenant('idle-000', { force: true });
    let snapshot = second;
    for (let refresh = 0; refresh < 12; refresh++) snapshot = await reader.read();
    expect(figuresOf(snapshot, 'idle-000')).toBeUndefined();
    expect(snapshot!.tenants).toHaveLength(idleIds.length);
  });

  it('reads nothing for a worker that is not the elected replica', async () => {
    await world.tenant('acme');
    expect(await new SnapshotReader(world.raw, [keys], 'another-replica').read()).toBeNull();
  });
});
