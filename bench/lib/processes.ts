import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../test/helpers/redis-server.js';
import { sleep } from './stats.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const WORKER_BIN = path.join(ROOT, 'dist/worker/main.js');
export const CLI_BIN = path.join(ROOT, 'dist/cli/main.js');
export const FIXTURES = path.join(ROOT, 'test/fixtures');

/** A child process of the run: a `turbine-worker` or a plain BullMQ worker. */
export class Child {
  readonly exited: Promise<number | null>;
  output = '';

  constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    const keep = (chunk: Buffer): void => {
      // The tail is enough to explain a failure; keeping all of it would cost memory.
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.proc.kill(signal);
  }

  /** SIGTERM (a graceful drain) and the exit code. */
  async stop(): Promise<number | null> {
    this.kill('SIGTERM');
    return this.exited;
  }

  /** Resident set size in bytes, from `ps` (Linux and macOS alike). */
  rss(): number {
    const out = spawnSync('ps', ['-o', 'rss=', '-p', String(this.pid)], { encoding: 'utf8' });
    return Number(out.stdout.trim()) * 1024;
  }

  tail(chars = 2000): string {
    return this.output.slice(-chars);
  }
}

/** A `turbine-worker` process (built dist/), ready once its `/readyz` answers 200. */
export class TurbineWorkerProcess extends Child {
  constructor(
    proc: ChildProcess,
    readonly port: number,
  ) {
    super(proc);
  }

  static async start(options: {
    url: string;
    prefix: string;
    app: string;
    args?: string[];
    logLevel?: string;
    timeoutMs?: number;
  }): Promise<TurbineWorkerProcess> {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [WORKER_BIN, '--app', options.app, '--health-port', String(port), '--health-host', '127.0.0.1', ...(options.args ?? [])],
      {
        env: {
          ...process.env,
          TURBINE_BACKEND_URL: options.url,
          TURBINE_PREFIX: options.prefix,
          // A plain BullMQ worker logs nothing per task; info would log every task.
          TURBINE_LOG_LEVEL: options.logLevel ?? 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const worker = new TurbineWorkerProcess(proc, port);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while ((await worker.readyz()) !== 200) {
      if (!worker.alive) throw new Error(`turbine-worker exited before it was ready:\n${worker.tail()}`);
      if (Date.now() > deadline) throw new Error(`turbine-worker not ready in time:\n${worker.tail()}`);
      await sleep(50);
    }
    return worker;
  }

  /** The HTTP status of `/readyz`; 0 when it does not answer. */
  async readyz(): Promise<number> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }
}

/**
 * `count` turbine-worker processes running the probe app (test/fixtures/probe-app.mjs), with
 * `args` after `--concurrency` (such as `--pool premium`).
 */
export function startProbeWorkers(url: string, prefix: string, count: number, concurrency: number, args: string[] = []): Promise<TurbineWorkerProcess[]> {
  const start = (): Promise<TurbineWorkerProcess> =>
    TurbineWorkerProcess.start({ url, prefix, app: path.join(FIXTURES, 'probe-app.mjs'), args: ['--concurrency', String(concurrency), ...args] });
  return Promise.all(Array.from({ length: count }, start));
}

/** test/fixtures/bullmq-probe-worker.mjs: the peer of a turbine-worker running the probe app. */
export async function startPeerWorker(options: {
  url: string;
  prefix: string;
  /** The queue it consumes. @defaultValue work */
  queue?: string;
  concurrency: number;
  globalConcurrency?: number;
  /** BullMQ's queue-wide rate limiter: at most `max` jobs per `duration` ms. */
  limiter?: { max: number; duration: number };
  /** The worker script in test/fixtures. @defaultValue bullmq-probe-worker.mjs */
  script?: string;
}): Promise<Child> {
  const proc = spawn(process.execPath, [path.join(FIXTURES, options.script ?? 'bullmq-probe-worker.mjs')], {
    env: {
      ...process.env,
      BENCH_REDIS_URL: options.url,
      BENCH_PREFIX: options.prefix,
      BENCH_QUEUE: options.queue ?? 'work',
      BENCH_CONCURRENCY: String(options.concurrency),
      BENCH_GLOBAL_CONCURRENCY: String(options.globalConcurrency ?? 0),
      BENCH_LIMITER_MAX: String(options.limiter?.max ?? 0),
      BENCH_LIMITER_DURATION: String(options.limiter?.duration ?? 1000),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const child = new Child(proc);
  const deadline = Date.now() + 30_000;
  while (!child.output.includes('"consuming"')) {
    if (!child.alive) throw new Error(`peer worker exited before it was ready:\n${child.tail()}`);
    if (Date.now() > deadline) throw new Error(`peer worker not ready in time:\n${child.tail()}`);
    await sleep(20);
  }
  return child;
}
