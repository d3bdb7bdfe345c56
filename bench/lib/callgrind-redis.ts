import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, waitForPing } from '../../test/helpers/redis-server.js';
import { withTimeout } from './stats.js';

const run = promisify(execFile);

/** What a counted stretch cost redis-server, in instructions executed (callgrind's `Ir`). */
export interface InstructionCount {
  total: number;
  /** Inside the commands named to stopCounting (with everything they call). */
  inCommands: number;
}

/**
 * A `redis-server` run under Valgrind's callgrind, which counts the instructions the server
 * executes between `startCounting` and `stopCounting`. Unlike CPU time, the count does not move
 * with the load of a shared machine, so two versions (or Turbine and BullMQ) compare exactly;
 * the server runs about 50 times slower meanwhile, so it suits a few thousand tasks.
 */
export class CallgrindRedis {
  private dumps = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    readonly raw: Redis,
  ) {}

  /** Whether valgrind (with callgrind_control and callgrind_annotate) is installed. */
  static isAvailable(): boolean {
    return ['valgrind', 'callgrind_control', 'callgrind_annotate'].every(
      (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0,
    );
  }

  static async start(): Promise<CallgrindRedis> {
    const dir = mkdtempSync(path.join(tmpdir(), 'turbine-callgrind-'));
    const port = await freePort();
    const child = spawn(
      'valgrind',
      ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${path.join(dir, 'callgrind.out')}`,
        'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    const url = `redis://127.0.0.1:${port}`;
    // Valgrind takes a few seconds to start the server.
    await waitForPing(url, 60_000);
    const raw = new Redis(url, { maxRetriesPerRequest: null });
    return new CallgrindRedis(child, dir, url, raw);
  }

  async startCounting(): Promise<void> {
    await run('callgrind_control', ['--instr=on', String(this.child.pid)]);
  }

  /**
   * Stops counting and returns what was counted since `startCounting`, in all and inside the
   * server's `commands` (C function names, such as fcallCommand); the counts start over.
   */
  async stopCounting(commands: readonly string[]): Promise<InstructionCount> {
    const pid = String(this.child.pid);
    await run('callgrind_control', ['--instr=off', pid]);
    await run('callgrind_control', ['--dump', pid]);
    this.dumps += 1;
    const file = path.join(this.dir, `callgrind.out.${this.dumps}`);
    // The server writes the dump when it next runs Valgrind's code: wait for its last line.
    const total = await withTimeout(this.totalIn(file), 30_000, () => `no callgrind dump in ${file}`);
    const { stdout } = await run('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { maxBuffer: 64 << 20 });
    await run('callgrind_control', ['--zero', pid]);
    return { total, inCommands: inclusiveOf(stdout, commands) };
  }

  private async totalIn(file: string): Promise<number> {
    for (;;) {
      const text = readOrEmpty(file);
      const total = /^totals:\s+(\d+)/m.exec(text);
      if (total) return Number(total[1]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    this.raw.disconnect();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Inclusive instructions of the functions named `names`, from callgrind_annotate's listing. */
function inclusiveOf(listing: string, names: readonly string[]): number {
  let sum = 0;
  for (const line of listing.split('\n')) {
    const match = /^\s*([\d,]+)\s+\([\s\d.]+%\)\s+\S*?:(\w+) /.exec(line);
    if (match && names.includes(match[2]!)) sum += Number(match[1]!.replace(/,/g, ''));
  }
  return sum;
}
