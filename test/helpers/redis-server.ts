import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/**
 * redis-server options under which a primary takes writes only while a replica is connected
 * (`min-replicas-to-write 1`), so that a write a client saw acknowledged (after `WAIT`) is on a
 * replica whichever one a failover promotes; replicas sync at once (diskless, no delay).
 */
export const REPLICATED_WRITES = ['--min-replicas-to-write', '1', '--min-replicas-max-lag', '10', '--repl-diskless-sync', 'yes',
  '--repl-diskless-sync-delay', '0'];

/** A `redis-server` process of a test's own, on a free port, stopped when the test is done. */
export class RedisServer {
  private process: ChildProcess | null = null;
  readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[],
    /** Lines of a sentinel's configuration: the process is then `redis-server <file> --sentinel`. */
    private readonly sentinelConfig: string[] | null = null,
  ) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'turbine-redis-'));
  }

  /** False once stopped (or crashed): a cluster or Sentinel test asks only the nodes still up. */
  get running(): boolean {
    return this.process !== null && this.process.exitCode === null && this.process.signalCode === null;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static isAvailable(): boolean {
    return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  }

  /** Starts a server on a given port (that a client already waits on). */
  static async startOn(port: number, extraArgs: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(port, extraArgs);
    await server.launch();
    return server;
  }

  /** Starts a server; `extraArgs` are redis-server options such as `--appendonly yes`. */
  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    return RedisServer.startOnFreePort((port) => new RedisServer(port, extraArgs));
  }

  /** Starts a Redis Sentinel whose configuration file holds `configLines` (`sentinel monitor …`). */
  static async startSentinel(configLines: string[]): Promise<RedisServer> {
    return RedisServer.startOnFreePort((port) => new RedisServer(port, [], configLines));
  }

  private static async startOnFreePort(make: (port: number) => RedisServer): Promise<RedisServer> {
    for (let attempt = 0; ; attempt++) {
      const server = make(await freePort());
      try {
        await server.launch();
        return server;
      } catch (error) {
        server.removeDir();
        // Another process can take the port between picking and binding it.
        if (attempt >= 4) throw error;
      }
    }
  }

  async launch(): Promise<void> {
    const child = spawn('redis-server', this.commandLine(), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output.slice(-500)}`))),
    );
    await Promise.race([waitForPing(this.url, 10_000), exited]);
    child.removeAllListeners('exit');
  }

  private commandLine(): string[] {
    if (!this.sentinelConfig) {
      return ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir,
        '--maxmemory-policy', 'noeviction', ...this.extraArgs];
    }
    // A sentinel rewrites its file as it learns the topology: written once, kept across restarts.
    const file = path.join(this.dir, 'sentinel.conf');
    if (!existsSync(file)) {
      writeFileSync(file, [`port ${this.port}`, 'bind 127.0.0.1', `dir ${this.dir}`, ...this.sentinelConfig, ''].join('\n'));
    }
    return [file, '--sentinel'];
  }

  /** Stops the process (SIGTERM by default, SIGKILL to simulate a crash). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Stops and starts the same server on the same port and data folder. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server process. */
  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    this.process?.kill(signal);
  }

  async close(): Promise<void> {
    await this.stop();
    this.removeDir();
  }

  private removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Polls PING until it answers or the deadline passes. */
export async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
}

/** Runs `command` on a one-off client of `server` (no retries), then disconnects. */
export async function askServer<T>(server: RedisServer, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await command(client);
  } finally {
    client.disconnect();
  }
}
