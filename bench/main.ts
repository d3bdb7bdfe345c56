import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { BULLMQ_VERSION } from '../src/store/scripts.js';
import { cap } from './cap.js';
import { fairness } from './fairness.js';
import { tenantScale } from './tenant-scale.js';
import { weights } from './weights.js';
import { rate } from './rate.js';
import { commands } from './commands.js';
import { instructions } from './instructions.js';
import { footprint } from './footprint.js';
import type { Benchmark, BenchContext } from './lib/bench.js';
import { BenchRedis } from './lib/redis.js';
import { judge, renderTable, type MetricResult } from './lib/report.js';
import { memory } from './memory.js';
import { noisy } from './noisy.js';
import { pools } from './pools.js';
import { release } from './release.js';
import { soak } from './soak.js';
import { submission } from './submission.js';
import { throughput, throughputInfo } from './throughput.js';
import { cluster } from './cluster.js';

/**
 * `npm run bench [-- --quick] [--rounds N] [--only a,b] [--held N] [--soak-seconds N] [--json file] [--strict]`:
 * Turbine against plain BullMQ on a redis-server of its own, each benchmark in alternating
 * rounds; prints one table with min/median/max over rounds and PASS/MISS per target.
 */
const BENCHMARKS: Benchmark[] = [throughput, throughputInfo, submission, noisy, release, cap, memory, commands, footprint, soak, cluster, fairness, weights, tenantScale, rate, pools, instructions];

const USAGE = `Usage: npm run bench -- [--quick] [--rounds N] [--only ${BENCHMARKS.map((b) => b.name).join(',')}] [--held N] [--soak-seconds N] [--json file] [--strict]`;

function options(): {
  quick: boolean;
  rounds: number;
  only: string[] | null;
  held: number;
  soakSeconds: number;
  json: string | null;
  strict: boolean;
} {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      only: { type: 'string' },
      held: { type: 'string' },
      'soak-seconds': { type: 'string' },
      json: { type: 'string' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const int = (name: string, text: string | undefined, fallback: number): number => {
    const n = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${text}\n${USAGE}`);
    return n;
  };
  const only = values.only?.split(',').map((s) => s.trim()) ?? null;
  const unknown = only?.filter((name) => !BENCHMARKS.some((b) => b.name === name)) ?? [];
  if (unknown.length) throw new Error(`Unknown benchmark(s) ${unknown.join(', ')}\n${USAGE}`);
  return {
    quick,
    rounds: int('rounds', values.rounds, quick ? 1 : 3),
    only,
    held: int('held', values.held, quick ? 20_000 : 1_000_000),
    soakSeconds: int('soak-seconds', values['soak-seconds'], quick ? 60 : 600),
    json: values.json ?? null,
    strict: values.strict ?? false,
  };
}

async function main(): Promise<number> {
  const opts = options();
  const redis = await BenchRedis.start();
  const stop = (): void => void redis.close().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.versions.node}, Redis ${await redis.version()}, BullMQ ${BULLMQ_VERSION}`;
  console.error(`${machine}; ${opts.rounds} round(s)${opts.quick ? ', quick sizes' : ''}`);
  const ctx: BenchContext = { redis, rounds: opts.rounds, quick: opts.quick, held: opts.held, soakSeconds: opts.soakSeconds, log: (l) => console.error(`  ${l}`) };
  const results: MetricResult[] = [];
  const started = Date.now();
  try {
    for (const bench of BENCHMARKS) {
      if (opts.only && !opts.only.includes(bench.name)) continue;
      console.error(`${bench.name}…`);
      results.push(...(await bench.run(ctx)));
    }
  } finally {
    await redis.close();
  }
  const verdicts = results.map((r) => ({ result: r, verdict: judge(r) })).filter((v) => v.verdict);
  const missed = verdicts.filter((v) => !v.verdict!.pass);
  console.log(`\nMachine: ${machine}. Rounds: ${opts.rounds}${opts.quick ? ' (quick sizes)' : ''}; figures are median [min–max] over rounds; ratio = Turbine / plain BullMQ.\n`);
  console.log(renderTable(results, opts.rounds));
  console.log(`\nTargets: ${verdicts.length - missed.length} PASS, ${missed.length} MISS (${Math.round((Date.now() - started) / 1000)} s)`);
  for (const { result, verdict } of missed) console.log(`  MISS ${result.bench} — ${result.metric}: ${verdict!.text}`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ machine, rounds: opts.rounds, quick: opts.quick, results }, null, 2));
  return opts.strict && missed.length ? 1 : 0;
}

process.exitCode = await main();
