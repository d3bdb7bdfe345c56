import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { shardPrefixes } from '../../src/store/shards.js';
import { RedisServer, askServer as ask } from './redis-server.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of a test's own: `primaries` × `redis-server --cluster-enabled yes` (and as
 * many replicas per primary), joined by `redis-cli --cluster create`, stopped by `close()`.
 */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** `serverArgs`: more redis-server options for every node (such as `REPLICATED_WRITES`). */
  static async start({ primaries = 3, replicasPerPrimary = 0, serverArgs = [] as string[] } = {}): Promise<RedisCluster> {
    const count = primaries * (1 + replicasPerPrimary);
    const nodes = await Promise.all(
      Array.from({ length: count }, () =>
        RedisServer.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', ...serverArgs]),
      ),
    );
    const cluster = new RedisCluster(nodes);
    try {
      const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
      await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicasPerPrimary), '--cluster-yes'], {
        timeout: 30_000,
      });
      await cluster.waitUntilHealthy();
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** The URL Turbine takes for this cluster: every node, so that any of them can introduce it. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',')}`;
  }

  /** A client on one node, for commands such as CLUSTER INFO or FUNCTION LIST. */
  nodeClient(node: RedisServer): Redis {
    const client = new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: false });
    client.on('error', () => undefined);
    return client;
  }

  /** Nodes that are primaries now, as each one reports itself (a replica may have been promoted). */
  async primaries(): Promise<RedisServer[]> {
    const roles = await Promise.all(this.nodes.map((node) => ask(node, (c) => c.role()).catch(() => null)));
    return this.nodes.filter((_, i) => (roles[i] as unknown[] | null)?.[0] === 'master');
  }

  /** The primary that serves `key`'s slot now, as a running node sees the cluster. */
  async ownerOf(key: string): Promise<RedisServer> {
    const node = this.nodes.find((n) => n.running)!;
    const slot = Number(await ask(node, (c) => c.call('CLUSTER', 'KEYSLOT', key)));
    const ranges = (await ask(node, (c) => c.call('CLUSTER', 'SLOTS'))) as [number, number, [string, number]][];
    const range = ranges.find(([start, end]) => slot >= start && slot <= end);
    const owner = this.nodes.find((n) => n.port === Number(range?.[2][1]));
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    return owner;
  }

  /**
   * A prefix made by `make` whose `shards` shards are each served by a different primary (as
   * many shards as primaries at most), so that a run shows the spread rather than the luck of
   * the slots.
   */
  async spreadPrefix(shards: number, make: () => string): Promise<string> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const prefix = make();
      const owners = await Promise.all(shardPrefixes(prefix, shards).map((p) => this.ownerOf(`${p}:tenants`)));
      if (new Set(owners).size === shards) return prefix;
    }
    throw new Error(`no prefix found whose ${shards} shards are on ${shards} different primaries`);
  }

  /**
   * Kills `primary` (SIGKILL, a crash) and polls until one of its replicas has been promoted in
   * its place; returns that replica, now the primary of its slots.
   */
  async killPrimary(primary: RedisServer, timeoutMs = 30_000): Promise<RedisServer> {
    const roles = await Promise.all(this.nodes.map((node) => (node.running ? ask(node, (c) => c.role()).catch(() => null) : null)));
    // A replica's ROLE is ['slave', host, port, …].
    const replicas = this.nodes.filter((_, i) => {
      const role = roles[i] as unknown[] | null;
      return role?.[0] === 'slave' && Number(role[2]) === primary.port;
    });
    if (replicas.length === 0) throw new Error(`the primary on port ${primary.port} has no replica to promote`);
    await primary.stop('SIGKILL');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const promoted = (await this.primaries()).find((node) => replicas.includes(node));
      if (promoted) return promoted;
      if (Date.now() > deadline) throw new Error(`no replica of ${primary.port} was promoted within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Starts a killed node again on its port and data folder: it finds its slots taken over and
   * rejoins as a replica of the node that took them. Returns once the cluster is healthy again.
   */
  async rejoin(node: RedisServer, timeoutMs = 30_000): Promise<void> {
    await node.launch();
    const deadline = Date.now() + timeoutMs;
    // Until it has learnt from the others that its slots moved, it still calls itself a primary.
    while (((await ask(node, (c) => c.role()).catch(() => null)) as unknown[] | null)?.[0] !== 'slave') {
      if (Date.now() > deadline) throw new Error(`the node on port ${node.port} did not rejoin as a replica within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.waitUntilHealthy(Math.max(deadline - Date.now(), 1000));
  }

  /**
   * Polls until every running node says the cluster is ok, and every replica is in sync with its
   * primary: a replica whose link is still down refuses to take over when its primary dies.
   */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = this.nodes.filter((n) => n.running);
      const infos = await Promise.all(running.map((node) => ask(node, (c) => c.call('CLUSTER', 'INFO')).catch(() => '')));
      const replication = await Promise.all(running.map((node) => ask(node, (c) => c.call('INFO', 'replication')).catch(() => '')));
      const replicasInSync = replication.every((info) => !String(info).includes('role:slave') || String(info).includes('master_link_status:up'));
      if (infos.every((info) => String(info).includes('cluster_state:ok')) && replicasInSync) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not healthy after ${timeoutMs} ms: ${String(infos[0])}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.close()));
  }
}
