import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { TurbineError } from '../core/errors.js';

/** A Redis that `turbine dev` found or started; `stop()` stops only one it started. */
export interface LocalRedis {
  url: string;
  started: boolean;
  stop(): Promise<void>;
}

export async function answersPing(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * Uses the Redis on `port` if one answers; otherwise starts `redis-server` there with a data
 * folder of its own under `dataRoot`, append-only so that a restart keeps the demo's state.
 */
export async function findOrStartRedis(port: number, dataRoot: string): Promise<LocalRedis> {
  const url = `redis://127.0.0.1:${port}`;
  if (await answersPing(url)) return { url, started: false, stop: async () => undefined };
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new TurbineError(
      'REDIS_UNAVAILABLE',
      `Nothing answers on ${url} and redis-server is not installed. Install it (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) or pass --backend-url`,
    );
  }
  const dir = path.resolve(dataRoot, `redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
    // Its own process group: Ctrl-C in the terminal reaches `turbine dev` only, which stops
    // redis-server itself once the worker has drained.
    { stdio: 'ignore', detached: true },
  );
  await waitForRedis(url, child);
  return { url, started: true, stop: () => stopChild(child) };
}

async function waitForRedis(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new TurbineError('REDIS_UNAVAILABLE', `redis-server exited with code ${child.exitCode}`);
    if (await answersPing(url, 500)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new TurbineError('REDIS_UNAVAILABLE', `redis-server did not answer on ${url} within 10 s`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
