// Outside in: the package as npm packs it, installed into a new project, then the README's Quick
// start run there as written: every shell command and every file, in order. Two substitutions
// only: `npm install turbine-tasks` installs the packed tarball (from the npm cache where it can,
// to stay fast), and TURBINE_BACKEND_URL / TURBINE_PREFIX point everything at the test's Redis.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisUrl, uniquePrefix } from '../helpers/context.js';
import { codeBlocks, section, shellCommands } from '../helpers/markdown.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const { name: PACKAGE } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string };

let dir: string;
let tarball: string;
let cwd: string;
let env: NodeJS.ProcessEnv;
const outputs: { command: string; stdout: string }[] = [];
const workers: RunningWorker[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'turbine-quick-start-'));
  // `npm test` has built dist/ already; --ignore-scripts keeps pack from building it again.
  const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
  tarball = path.join(dir, packed.trim().split('\n').pop()!);
  cwd = dir;
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TURBINE_') && !key.startsWith('npm_')));
  env = { ...clean, TURBINE_BACKEND_URL: redisUrl(), TURBINE_PREFIX: uniquePrefix() };
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  rmSync(dir, { recursive: true, force: true });
});

/** The README's command as run here: the same text but for the two substitutions above. */
function asRunHere(command: string): string {
  if (!/^npm install\b/.test(command)) return command;
  const packageArg = new RegExp(`(?<=\\s)${PACKAGE}(?=\\s|$)`);
  return `${command.replace(packageArg, tarball)} --prefer-offline --no-audit --no-fund`;
}

/** Runs one command in the project's current directory, following a `cd` in it. */
function run(command: string): string {
  const cwdFile = path.join(dir, '.cwd');
  const stdout = execFileSync('bash', ['-ec', `${asRunHere(command)}\npwd > ${cwdFile}`], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 180_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cwd = readFileSync(cwdFile, 'utf8').trim();
  outputs.push({ command, stdout });
  return stdout;
}

interface RunningWorker {
  command: string;
  proc: ChildProcess;
  log: string;
  /** Resolves when every process holding its output has ended (npx and the worker it runs). */
  ended: Promise<void>;
}

/** Starts a long-running worker command and resolves once it consumes. */
async function startWorker(command: string): Promise<void> {
  for (const previous of workers) await stopWorker(previous);
  // Its own process group: npx does not pass signals on to the worker, so the group gets them.
  const proc = spawn('bash', ['-c', `exec ${command}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const ended = new Promise<void>((resolve) => proc.stdout!.once('close', () => resolve()));
  const worker: RunningWorker = { command, proc, log: '', ended };
  workers.push(worker);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`'${command}' did not consume within 60 s:\n${worker.log}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      worker.log += chunk.toString();
      if (!worker.log.includes('"msg":"consuming"')) return;
      clearTimeout(timer);
      resolve();
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => (clearTimeout(timer), reject(new Error(`'${command}' exited (${code}):\n${worker.log}`))));
  });
}

/** SIGTERM, as Ctrl-C or systemd would; returns whether the worker drained and said 'stopped'. */
async function stopWorker(worker: RunningWorker): Promise<boolean> {
  signalGroup(worker, 'SIGTERM');
  const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 60_000).unref());
  if ((await Promise.race([worker.ended, deadline])) === 'late') signalGroup(worker, 'SIGKILL');
  return worker.log.includes('"msg":"stopped"');
}

function signalGroup(worker: RunningWorker, signal: NodeJS.Signals): void {
  try {
    process.kill(-worker.proc.pid!, signal);
  } catch {
    // The group has ended already.
  }
}

const outputOf = (prefix: string): string[] => outputs.filter((o) => o.command.startsWith(prefix)).map((o) => o.stdout);

describe("the README's Quick start, in a new project with the packed package", { timeout: 600_000 }, () => {
  it('runs as written: tenant, tasks.ts, worker from TypeScript and compiled, a submission and its result', async () => {
    const blocks = codeBlocks(section(README, '## Quick start')).filter((b) => b.marker !== 'excerpt');
    expect(blocks.length).toBeGreaterThan(4);
    for (const block of blocks) {
      if (block.lang === 'ts') {
        const file = /^\/\/ (\S+\.ts)\n/.exec(block.code)?.[1];
        if (!file) throw new Error(`README.md:${block.line}: a TypeScript block of the Quick start starts with '// <file>.ts'`);
        writeFileSync(path.join(cwd, file), block.code);
        continue;
      }
      expect(block.lang, `README.md:${block.line}`).toBe('bash');
      for (const command of shellCommands(block.code)) {
        if (/^npx turbine-worker\b/.test(command)) await startWorker(command);
        else run(command);
      }
    }

    expect(outputOf('npx turbine tenant create')[0]).toContain("Created tenant 'acme-corp'");
    expect(outputOf('npx turbine tenant list')[0]).toMatch(/acme-corp\s+ACME Corporation/);
    expect(outputOf('npx turbine tenant get')[0]).toMatch(/max_tasks_per_hour:\s+1000\n/);
    expect(outputOf('npx turbine tenant stats')[0]).toMatch(/tasks_hour\s+0\s+1000\s/);
    // The submission prints its id and placement, then its result, and the script ends.
    const submissions = [...outputOf('npx tsx submit.ts'), ...outputOf('node dist/submit.js')];
    expect(submissions).toHaveLength(2);
    for (const printed of submissions) expect(printed).toMatch(/^\S+ queued\n\{ tenant: 'acme-corp', keys: \[ 'key' \] \}\n$/);
    // One worker ran tasks.ts through tsx, the next the compiled dist/tasks.js; each ran one
    // task, and each drained and stopped on SIGTERM (a log is complete once its process ends).
    expect(await Promise.all(workers.map(stopWorker))).toEqual([true, true]);
    expect(workers.map((w) => /--app (\S+)/.exec(w.command)?.[1])).toEqual(['./tasks.ts', './dist/tasks.js']);
    for (const worker of workers) expect(worker.log).toMatch(/"task":"process_data".*"outcome":"succeeded"/);
  });
});
