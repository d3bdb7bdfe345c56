import { Cluster } from 'ioredis';
import { shardPrefixes } from '../src/store/shards.js';
import { RedisCluster } from '../test/helpers/redis-cluster.js';
import { askServer } from '../test/helpers/redis-server.js';
import { Progress, collectRounds, waitForCard, type Benchmark, type FigureRow } from './lib/bench.js';
import { NOOP_CONCURRENCY as CONCURRENCY, NOOP_TENANTS as TENANTS, prepareTurbineNoop, submitPeerNoop } from './lib/noop-workload.js';
import { PeerSide, TurbineSide, uniqueName } from './lib/world.js';

/**
 * 8. Benchmark 1's workload on a Redis Cluster of three primaries started for the run, both
 * sides with one hash-tagged prefix (so all of a side's keys are on one primary), from the
 * `redis+cluster://` URL on Turbine's side and an ioredis Cluster on BullMQ's. Beside the rate:
 * the CPU time per task of the busiest primary and of all three. Compare with benchmark 1 (one
 * Redis) for what the cluster client costs; two cores cannot show scaling over primaries.
 * Then Turbine again with its tenants sharded over 3 shards, one on each primary: the busiest
 * primary's CPU per task is what bounds throughput when each primary has a core of its own
 * (BullMQ, which cannot shard one queue, is shown beside it with its one prefix).
 */

interface Figures {
  rate: number;
  busiestCpuUs: number;
  totalCpuUs: number;
}

const SHARDS = 3;

/** One round of both Turbine configurations (the peer's figures fill both sets of rows). */
interface RoundFigures extends Figures {
  shardedRate: number;
  shardedBusiestCpuUs: number;
  shardedTotalCpuUs: number;
}

async function primariesCpu(cluster: RedisCluster): Promise<number[]> {
  const primaries = await cluster.primaries();
  return Promise.all(
    primaries.map(async (node) => {
      const info = await askServer(node, (c) => c.info('cpu'));
      const read = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
      return read('used_cpu_user') + read('used_cpu_sys');
    }),
  );
}

async function measure(cluster: RedisCluster, total: number, run: () => Promise<[number, number]>): Promise<Figures> {
  const before = await primariesCpu(cluster);
  const [first, end] = await run();
  const used = (await primariesCpu(cluster)).map((cpu, i) => ((cpu - before[i]!) * 1e6) / total);
  return { rate: total / ((end - first) / 1000), busiestCpuUs: Math.max(...used), totalCpuUs: used.reduce((a, b) => a + b, 0) };
}

function clusterClient(cluster: RedisCluster, maxRetriesPerRequest: number | null): Cluster {
  return new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })), { redisOptions: { maxRetriesPerRequest } });
}

async function turbineRound(cluster: RedisCluster, total: number, shards: number): Promise<Figures> {
  const prefix = await cluster.spreadPrefix(shards, () => `{${uniqueName('bench')}}`);
  const side = new TurbineSide(cluster.url, prefix, shards);
  const completed = shardPrefixes(prefix, shards).map((p) => `${p}:q:work:completed`);
  const raw = clusterClient(cluster, 1);
  try {
    const submit = await prepareTurbineNoop(side);
    await submit(total);
    return await measure(cluster, total, async () => {
      const progress = new Progress(total);
      await side.startWorker(CONCURRENCY, (worker) => {
        worker.on('task:started', () => progress.started());
        worker.on('task:finished', () => progress.finished());
      });
      await progress.wait(300_000, 'turbine cluster throughput');
      return [progress.firstStart, await waitForCard(raw, completed, total)];
    });
  } finally {
    raw.disconnect();
    await side.close();
  }
}

async function peerRound(cluster: RedisCluster, total: number): Promise<Figures> {
  const side = new PeerSide(cluster.url, `{${uniqueName('peer')}}`, (maxRetriesPerRequest) => clusterClient(cluster, maxRetriesPerRequest));
  const raw = clusterClient(cluster, 1);
  try {
    await submitPeerNoop(side, total);
    return await measure(cluster, total, async () => {
      const progress = new Progress(total);
      const worker = await side.worker(CONCURRENCY, async () => null);
      worker.on('active', () => progress.started());
      worker.on('completed', () => progress.finished());
      void worker.run();
      await progress.wait(300_000, 'peer cluster throughput');
      return [progress.firstStart, await waitForCard(raw, `${side.prefix}:work:completed`, total)];
    });
  } finally {
    raw.disconnect();
    await side.close();
  }
}

export const cluster: Benchmark = {
  name: 'cluster',
  async run(ctx) {
    const total = ctx.quick ? 3000 : 20_000;
    const bench = `8. Throughput on a 3-primary Redis Cluster (${total} no-op tasks, ${TENANTS} tenants, c=${CONCURRENCY})`;
    const sharded = `${bench}, Turbine's tenants on ${SHARDS} shards`;
    const rows: FigureRow<RoundFigures>[] = [
      ['rate', { bench, metric: 'tasks/s', turbine: [], peer: [] }],
      ['busiestCpuUs', { bench, metric: 'busiest primary CPU per task (µs)', turbine: [], peer: [] }],
      ['totalCpuUs', { bench, metric: 'all primaries CPU per task (µs)', turbine: [], peer: [] }],
      ['shardedRate', { bench: sharded, metric: 'tasks/s', turbine: [], peer: [] }],
      ['shardedBusiestCpuUs', { bench: sharded, metric: 'busiest primary CPU per task (µs)', turbine: [], peer: [] }],
      ['shardedTotalCpuUs', { bench: sharded, metric: 'all primaries CPU per task (µs)', turbine: [], peer: [] }],
    ];
    const redisCluster = await RedisCluster.start({ primaries: 3 });
    try {
      const sides = {
        turbine: async (): Promise<RoundFigures> => {
          const one = await turbineRound(redisCluster, total, 1);
          const three = await turbineRound(redisCluster, total, SHARDS);
          return { ...one, shardedRate: three.rate, shardedBusiestCpuUs: three.busiestCpuUs, shardedTotalCpuUs: three.totalCpuUs };
        },
        peer: async (): Promise<RoundFigures> => {
          const peer = await peerRound(redisCluster, total);
          return { ...peer, shardedRate: peer.rate, shardedBusiestCpuUs: peer.busiestCpuUs, shardedTotalCpuUs: peer.totalCpuUs };
        },
      };
      return await collectRounds(ctx, rows, sides, (r, round) =>
        ctx.log(
          `cluster round ${round + 1}: turbine ${r.turbine.rate.toFixed(0)}/s (1 shard), ${r.turbine.shardedRate.toFixed(0)}/s (${SHARDS} shards), peer ${r.peer.rate.toFixed(0)}/s`,
        ),
      );
    } finally {
      await redisCluster.close();
    }
  },
};
