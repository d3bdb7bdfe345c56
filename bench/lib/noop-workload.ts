import { inBatches, tenantIds } from './bench.js';
import { PEER_JOB_OPTIONS, type PeerSide, type TurbineSide } from './world.js';

/**
 * The workload of benchmarks 1 (throughput) and 7 (commands per task): no-op tasks named `noop`
 * on queue `work`, spread round-robin over 10 tenants without quotas, submitted in batches of
 * 1 000 (applyBulk on Turbine's side, addBulk of the same envelope on the peer's).
 */
export const NOOP_CONCURRENCY = 50;
export const NOOP_TENANTS = 10;
const BATCH = 1000;

/**
 * Creates the tenants (`tenantCount`, 10 unless a benchmark measures the cost at tenant scale)
 * and the task; returns the submission, to be timed or counted apart.
 */
export async function prepareTurbineNoop(side: TurbineSide, tenantCount = NOOP_TENANTS): Promise<(total: number) => Promise<void>> {
  const tenants = tenantIds(tenantCount);
  await side.createTenants(tenants);
  const noop = side.app.task({ name: 'noop', queue: 'work' }, async () => null);
  return (total) =>
    inBatches(total, BATCH, async (from, count) => {
      const items = Array.from({ length: count }, (_, i) => ({ args: [] as [], tenantId: tenants[(from + i) % tenantCount]! }));
      return (await noop.applyBulk(items)).filter((r) => r.ok).length;
    });
}

export function submitPeerNoop(side: PeerSide, total: number): Promise<void> {
  const tenants = tenantIds(NOOP_TENANTS);
  return inBatches(total, BATCH, async (from, count) => {
    const jobs = Array.from({ length: count }, (_, i) => ({
      name: 'noop',
      data: { tenant_id: tenants[(from + i) % NOOP_TENANTS]!, args: [] },
      opts: PEER_JOB_OPTIONS,
    }));
    return (await side.queue.addBulk(jobs)).length;
  });
}
