// Starting the real `turbine-worker` binary: TypeScript apps, several workers on one host, and
// the errors for a bad start, each saying what to do.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../helpers/context.js';
import { occupyPort, releasePort } from '../helpers/ports.js';
import { PROBE_APP, WORKER_BIN, WorkerProcess } from '../helpers/processes.js';
import { RedisServer } from '../helpers/redis-server.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

let dir: string;
let prefix: string;
let workers: WorkerProcess[] = [];
let blocker: Server | null = null;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'turbine-startup-'));
  prefix = uniquePrefix();
});

afterEach(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  workers = [];
  await releasePort(blocker);
  blocker = null;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the worker expecting it to stop at once; cwd is the temporary directory unless given. */
function runWorker(args: string[], cwd = dir): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WORKER_BIN, ...args],
      { cwd, timeout: 20_000, env: { ...process.env, TURBINE_BACKEND_URL: redisUrl(), TURBINE_PREFIX: prefix } },
      (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

function start(options: Partial<Parameters<typeof WorkerProcess.start>[0]>): Promise<WorkerProcess> {
  return WorkerProcess.start({ url: redisUrl(), prefix, onSpawn: (w) => workers.push(w), ...options });
}

/** Holds `port` (unless something on this host already does), so a worker finds it taken. */
function writeTypeScriptApp(): string {
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  const file = path.join(dir, 'tasks.ts');
  writeFileSync(
    file,
    [
      `import { Turbine, type TaskContext } from ${JSON.stringify(path.join(ROOT, 'dist/index.js'))};`,
      'export const app = new Turbine();',
      "export const greet = app.task({ name: 'greet', queue: 'greetings' }, async (who: string, ctx: TaskContext): Promise<string> => `hi ${who} from ${ctx.tenantId}`);",
    ].join('\n'),
  );
  return file;
}

describe('turbine-worker start', { timeout: 60_000 }, () => {
  it('runs a .ts app through tsx found from the working directory', async () => {
    const app = writeTypeScriptApp();
    const worker = await start({ app, cwd: ROOT });
    expect(worker.logs.find((l) => l.msg === 'consuming')).toMatchObject({ queues: ['greetings'], tasks: ['greet'] });
  });

  it('without tsx or Node type stripping, a .ts app fails naming what to install', async () => {
    writeTypeScriptApp();
    const result = await runWorker(['--app', './tasks.ts']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Cannot load ./tasks.ts');
    expect(result.stderr).toContain('npm install --save-dev tsx');
    expect(result.stderr).toContain('Node.js 22.18 or later');
  });

  it('a missing app file says so and how to get it', async () => {
    const result = await runWorker(['--app', './dist/tasks.js']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/The app module \.\/dist\/tasks\.js does not exist .*compiled output needs a build first \(npx tsc\)/);
  });

  it('--queues naming a queue no task uses is refused with the app\'s queues', async () => {
    const result = await runWorker(['--app', PROBE_APP, '--queues', 'work,emails', '--health-port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("No task of the app uses the queue 'emails' given in --queues (or TURBINE_QUEUES); the app's queues are: work");
  });

  it('a mistyped flag is named with the flag meant', async () => {
    const result = await runWorker(['--app', PROBE_APP, '--concurency', '5']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Unknown flag --concurency; did you mean --concurrency?');
  });

  it('--help shows the defaults', async () => {
    const result = await new Promise<string>((resolve) =>
      execFile(process.execPath, [WORKER_BIN, '--help'], (_error, stdout) => resolve(stdout)),
    );
    const flat = result.replace(/\s+/g, ' ');
    expect(flat).toContain('--health-port Port of /healthz, /readyz and /metrics; 0 picks a free one. [env TURBINE_HEALTH_PORT] [number] [default: 9464]');
    expect(flat).toMatch(/--concurrency Tasks run at once per queue \(and per shard, with several\) by this process\. \[env TURBINE_CONCURRENCY\] ?\[number\] \[default: 10\]/);
  });

  it('moves to a free port when the default health port is taken, and says which', async () => {
    blocker = await occupyPort(9464);
    const worker = await start({ defaultHealthPort: true });
    const moved = worker.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('health port 9464 is in use'));
    expect(moved).toMatchObject({ level: 'warn', taken: 9464 });
    expect(moved!.port).not.toBe(9464);
    expect(moved!.msg).toContain('pass --health-port to choose');
    const health = await fetch(`http://127.0.0.1:${String(moved!.port)}/healthz`);
    expect(health.status).toBe(200);
  });

  it('an explicitly chosen health port that is taken is an error naming the flag', async () => {
    blocker = await occupyPort(9464);
    const result = await runWorker(['--app', PROBE_APP, '--health-port', '9464', '--health-host', '127.0.0.1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Health port 9464 (from --health-port) is already in use');
    expect(result.stderr).toContain('pass a free port with --health-port');
  });

  it('logs a Redis outage as one line per change of state (down, retrying, back), without stacks', async () => {
    const server = await RedisServer.start();
    try {
      const worker = await start({ url: server.url });
      await server.stop();
      await worker.waitForLog((l) => l.msg === 'Redis still down; retrying until it answers');
      // Redis stays down for several reconnect rounds (not a wait for a state: the outage's
      // length), during which the queues' own connections fail again and again.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await server.launch();
      await worker.waitForLog((l) => l.msg === 'Redis is back; consuming again');
      const outage = worker.logs.slice(worker.logs.findIndex((l) => l.msg === 'consuming') + 1);
      expect(outage.map((l) => l.msg)).toEqual([
        'lost the connection to Redis; reconnecting with backoff',
        'Redis still down; retrying until it answers',
        'Redis is back; consuming again',
      ]);
      expect(outage.some((l) => 'err' in l || 'stack' in l)).toBe(false);
    } finally {
      await server.close();
    }
  });
});
