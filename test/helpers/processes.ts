import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const WORKER_BIN = path.join(ROOT, 'dist/worker/main.js');
export const CLI_BIN = path.join(ROOT, 'dist/cli/main.js');
export const PROBE_APP = path.join(ROOT, 'test/fixtures/probe-app.mjs');

export interface WorkerProcessOptions {
  url: string;
  prefix: string;
  app?: string;
  args?: string[];
  timeoutMs?: number;
  /** Extra environment, e.g. NODE_EXTRA_CA_CERTS. */
  env?: Record<string, string>;
  /** Leave the health port at its default (9464) instead of passing `--health-port 0`. */
  defaultHealthPort?: boolean;
  cwd?: string;
  /** Called as soon as the process exists, before it is ready: lets a caller always stop it. */
  onSpawn?: (worker: WorkerProcess) => void;
}

/** A `turbine-worker` process started by a test, with its JSON log lines. */
export class WorkerProcess {
  readonly logs: Record<string, unknown>[] = [];
  readonly exited: Promise<number | null>;
  port = 0;
  private buffer = '';
  private readonly waiters: { test: (line: Record<string, unknown>) => boolean; resolve: () => void }[] = [];

  private constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.stdout!.on('data', (chunk: Buffer) => this.onData(chunk.toString()));
    proc.stderr!.on('data', (chunk: Buffer) => this.onData(chunk.toString()));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Starts a worker for `app` and waits until it consumes (and its health port is known). */
  static async start(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const worker = WorkerProcess.spawnOnly(options);
    await worker.waitForLog((l) => l.msg === 'consuming', options.timeoutMs ?? 20_000);
    return worker;
  }

  /** Starts a worker without waiting for it to consume (e.g. while Redis is still down). */
  static spawnOnly(options: WorkerProcessOptions): WorkerProcess {
    const proc = spawn(
      process.execPath,
      [
        WORKER_BIN,
        '--app',
        options.app ?? PROBE_APP,
        ...(options.defaultHealthPort ? [] : ['--health-port', '0']),
        '--health-host',
        '127.0.0.1',
        ...(options.args ?? []),
      ],
      {
        cwd: options.cwd,
        env: { ...process.env, TURBINE_BACKEND_URL: options.url, TURBINE_PREFIX: options.prefix, TURBINE_LOG_LEVEL: 'info', ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const worker = new WorkerProcess(proc);
    options.onSpawn?.(worker);
    return worker;
  }

  /** Resolves when a log line matches; rejects after the deadline or if the process exits. */
  waitForLog(test: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<void> {
    if (this.logs.some(test)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No matching log line within ${timeoutMs} ms; last lines:\n${this.tail()}`)), timeoutMs);
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`Worker exited (${code}) before the expected log line:\n${this.tail()}`));
      });
      this.waiters.push({ test, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  kill(signal: NodeJS.Signals): void {
    this.proc.kill(signal);
  }

  /** Sends SIGTERM (if still running) and waits for the exit code. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }

  tail(lines = 15): string {
    return this.logs.slice(-lines).map((l) => JSON.stringify(l)).join('\n');
  }

  private onData(text: string): void {
    this.buffer += text;
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const raw = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        line = { msg: raw };
      }
      this.logs.push(line);
      if (line.msg === 'health server listening on /healthz and /readyz') this.port = Number(line.port);
      for (const waiter of [...this.waiters]) {
        if (waiter.test(line)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    }
  }
}
