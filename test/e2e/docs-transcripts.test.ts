// docs/cli.md and docs/dlq.md as written: every block marked `<!-- transcript -->` is run,
// command by command, through the real `turbine` binary (on PATH, as a user types it) against
// the test's Redis, and what each command prints must be what the block shows. Each block gets a key prefix of its
// own and the state its text assumes (the tenants and tasks it talks about), set up below by the
// block's first command. Only times are normalised (timestamps, and the time left until a quota
// window resets): they are whenever the test runs.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Turbine } from '../../src/tasks/app.js';
import { cleanEnv, runOnTerminal } from '../helpers/cli.js';
import { deletePrefix, pollUntil, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';
import { TRANSCRIPT_DOCS, codeBlocks, transcriptSteps } from '../helpers/markdown.js';
import { CLI_BIN } from '../helpers/processes.js';
import { TestWorld } from '../helpers/worker.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'turbine-transcripts-'));
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'bin', 'turbine'), `#!/bin/sh\nexec "${process.execPath}" "${CLI_BIN}" "$@"\n`);
  chmodSync(path.join(dir, 'bin', 'turbine'), 0o755);
});
const prefixes: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const raw = rawClient();
  for (const prefix of prefixes) await deletePrefix(raw, prefix);
  await raw.quit();
});

interface Shell {
  prefix: string;
  /** Runs a command as the docs show it; returns stdout and stderr as the terminal shows them. */
  run(command: string, actor?: string): string;
  /** Runs a command that asks `[y/N]` on a terminal, and types `answer`. */
  answer(command: string, answer: string): Promise<string>;
}

function shell(): Shell {
  const prefix = uniquePrefix();
  prefixes.push(prefix);
  const env = cleanEnv({
    PATH: `${path.join(dir, 'bin')}:${process.env.PATH ?? ''}`,
    TURBINE_BACKEND_URL: redisUrl(),
    TURBINE_PREFIX: prefix,
    TURBINE_ACTOR: 'docs',
  });
  return {
    prefix,
    run: (command, actor) => {
      try {
        // 2>&1: one stream, in the order printed, as in a terminal.
        return execFileSync('bash', ['-c', `${command} 2>&1`], {
          cwd: dir,
          env: actor ? { ...env, TURBINE_ACTOR: actor } : env,
          encoding: 'utf8',
          timeout: 20_000,
        });
      } catch (error) {
        return (error as { stdout: string }).stdout;
      }
    },
    answer: async (command, answer) => {
      // Only plain `turbine …` commands (no quoting) are typed at a prompt in the docs.
      if (!/^turbine [\w@:. -]+$/.test(command)) throw new Error(`Cannot run '${command}' on a terminal: quote-free turbine commands only`);
      const result = await runOnTerminal(command.split(' ').slice(1), answer, env);
      // What the terminal shows: its cursor movements (readline's prompt redraw) and \r dropped.
      // eslint-disable-next-line no-control-regex
      return result.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replaceAll('\r', '');
    },
  };
}

const CREATE_ACME =
  'turbine tenant create acme-corp "ACME Corporation" --max-tasks-per-hour 1000 --max-tasks-per-day 10000 --max-concurrent-tasks 50 ' +
  '--max-queue-length 500 --max-task-size-bytes 1048576 --max-result-size-bytes 5242880 --allowed-queues default,emails,processing ' +
  '--max-retry-count 5 --metadata plan=enterprise --metadata contact=admin@acme-corp.com';
const CREATE_GLOBEX = 'turbine tenant create globex Globex --max-tasks-per-hour 100 --max-concurrent-tasks 2 --max-task-size-bytes 102400 --metadata plan=free';

/** Submits `work` tasks as a producer would (no worker runs: they stay where admission puts them). */
async function submit(sh: Shell, tenantId: string, tasks: { taskId?: string; delayMs?: number }[]): Promise<void> {
  const app = new Turbine({ backendUrl: redisUrl(), prefix: sh.prefix });
  try {
    const work = app.task({ name: 'work' }, async () => null);
    for (const task of tasks) await work.applyAsync({ args: [], tenantId, ...task });
  } finally {
    await app.close();
  }
}

/** The state each transcript assumes, by its first command. */
const SETUPS: { first: RegExp; setup: (sh: Shell) => Promise<void> }[] = [
  { first: /^turbine tenant get globex$/, setup: async () => undefined },
  { first: /^turbine tenant create acme-corp /, setup: async () => undefined },
  {
    first: /^turbine tenant list$/,
    setup: async (sh) => {
      sh.run(CREATE_ACME);
      sh.run(CREATE_GLOBEX);
    },
  },
  { first: /^turbine tenant get globex --json$/, setup: async (sh) => void sh.run(CREATE_GLOBEX) },
  { first: /^turbine tenant update acme-corp /, setup: async (sh) => void sh.run(CREATE_ACME) },
  { first: /^turbine tenant delete globex </, setup: async (sh) => void sh.run(CREATE_GLOBEX) },
  { first: /^turbine tenant delete acme-corp$/, setup: async (sh) => void sh.run(CREATE_ACME) },
  {
    first: /^turbine tenant stats globex$/,
    // At its cap of 2: two of five tasks wait in the queue, three are held.
    setup: async (sh) => {
      sh.run(CREATE_GLOBEX);
      await submit(sh, 'globex', Array.from({ length: 5 }, () => ({})));
    },
  },
  {
    first: /^turbine tenant audit acme-corp$/,
    setup: async (sh) => {
      sh.run(CREATE_ACME, 'alice');
      sh.run('turbine tenant update acme-corp --name "ACME Inc." --max-tasks-per-hour 2000 --max-queue-length unlimited', 'bob');
      sh.run('turbine tenant update acme-corp --enabled false', 'bob');
    },
  },
  {
    first: /^turbine tenant drain acme-corp /,
    setup: async (sh) => {
      sh.run('turbine tenant create acme-corp "ACME Corporation" --max-concurrent-tasks 2');
      await submit(sh, 'acme-corp', [{}, {}, {}, {}, {}, { delayMs: 3_600_000 }]);
    },
  },
  {
    first: /^turbine task (list|show|cancel) /,
    // A cap of 2: job-0 and job-1 queued, job-2 and job-3 held behind them, `later` deferred.
    setup: async (sh) => {
      sh.run('turbine tenant create acme-corp "ACME Corporation" --max-concurrent-tasks 2');
      await submit(sh, 'acme-corp', [{ taskId: 'job-0' }, { taskId: 'job-1' }, { taskId: 'job-2' }, { taskId: 'job-3' }, { taskId: 'later', delayMs: 3_600_000 }]);
    },
  },
  {
    first: /^turbine dlq purge --tenant acme-corp$/,
    // Three dead letters in emails: two of acme-corp, one of globex.
    setup: async (sh) => {
      const world = new TestWorld(redisUrl(), sh.prefix);
      try {
        await world.tenant('acme-corp');
        await world.tenant('globex');
        const send = world.app.task({ name: 'send_email', queue: 'emails', retries: 0 }, async () => {
          throw new Error('SMTP 550: mailbox unavailable');
        });
        const worker = await world.startWorker({ queues: ['emails'] });
        await send.applyBulk([{ args: [], tenantId: 'acme-corp' }, { args: [], tenantId: 'acme-corp' }, { args: [], tenantId: 'globex' }]);
        await pollUntil(() => world.raw.zcard(`${sh.prefix}:dlq`), (n) => n === 3, { what: 'three dead letters' });
        await worker.close({ force: true });
      } finally {
        // Not world.close(), which deletes the prefix's keys: the transcript reads them next.
        await world.app.close();
        await world.manager.close();
        await world.raw.quit();
      }
    },
  },
  {
    first: /^turbine config validate /,
    setup: async () => {
      writeFileSync(path.join(dir, 'worker.yaml'), 'app: ./dist/tasks.js\nqueues: [emails]\nconcurrency: 20\n');
      writeFileSync(path.join(dir, 'bad.yaml'), 'queues: ["no spaces"]\n');
    },
  },
];

const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;
/** How long until a quota window resets (`in 59m 58s`): as long as the docs say, less the test's own time. */
const TIME_LEFT = /\bin (?:\d+[hms] ?)+\(/g;
const normalise = (lines: string[]): string[] => lines.map((line) => line.replace(TIME, '<time>').replace(TIME_LEFT, 'in <time left> (').trimEnd());

for (const file of TRANSCRIPT_DOCS) {
  const blocks = codeBlocks(readFileSync(path.join(ROOT, file), 'utf8')).filter((block) => block.marker === 'transcript');

  describe(`${file} transcripts`, { timeout: 60_000 }, () => {
    it('has transcripts to run', () => expect(blocks.length).toBeGreaterThan(0));

    for (const block of blocks) {
      const steps = transcriptSteps(block.code);
      it(`line ${block.line}: ${steps[0]!.command}`, async () => {
        const setup = SETUPS.find((s) => s.first.test(steps[0]!.command));
        if (!setup) throw new Error(`${file}:${block.line}: no setup for a transcript starting '${steps[0]!.command}': add one to SETUPS`);
        const sh = shell();
        await setup.setup(sh);
        for (const step of steps) {
          // A prompt in the transcript (`… [y/N] y`): the command runs on a terminal, typed at.
          const typed = step.expected.map((line) => /\[y\/N\] (\S+)$/.exec(line)?.[1]).find((answer) => answer !== undefined);
          const printed = (typed === undefined ? sh.run(step.command) : await sh.answer(step.command, typed)).replace(/\n$/, '');
          expect(normalise(printed.split('\n')).join('\n'), `$ ${step.command}`).toBe(normalise(step.expected).join('\n'));
        }
      });
    }
  });
}
