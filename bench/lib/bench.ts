import type { Cluster, Redis } from 'ioredis';
import type { BenchRedis } from './redis.js';
import type { MetricResult } from './report.js';
import { now, sleep, withTimeout } from './stats.js';

export interface BenchContext {
  redis: BenchRedis;
  rounds: number;
  quick: boolean;
  /** Held tasks of the memory benchmark. */
  held: number;
  /** How long the soak benchmark runs each side. */
  soakSeconds: number;
  log: (line: string) => void;
}

export interface Benchmark {
  /** Name for `--only`. */
  name: string;
  run(ctx: BenchContext): Promise<MetricResult[]>;
}

/**
 * Runs Turbine's and the peer's round, in an order that alternates from round to round, so that
 * neither side always runs on a warmer (or more fragmented) Redis. Redis is emptied before each.
 */
export async function alternate<T>(
  ctx: BenchContext,
  round: number,
  turbine: () => Promise<T>,
  peer: () => Promise<T>,
): Promise<{ turbine: T; peer: T }> {
  const runs = round % 2 === 0 ? (['peer', 'turbine'] as const) : (['turbine', 'peer'] as const);
  const out: Partial<{ turbine: T; peer: T }> = {};
  for (const side of runs) {
    await ctx.redis.flush();
    out[side] = await (side === 'turbine' ? turbine() : peer());
  }
  await ctx.redis.flush();
  return out as { turbine: T; peer: T };
}

/** Counts starts and ends of a run's tasks; resolves `done` once `total` have ended. */
export class Progress {
  firstStart = Number.NaN;
  ended = 0;
  readonly done: Promise<void>;
  private resolve: () => void = () => undefined;

  constructor(readonly total: number) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
  }

  started(): void {
    if (Number.isNaN(this.firstStart)) this.firstStart = now();
  }

  finished(): void {
    this.ended += 1;
    if (this.ended === this.total) this.resolve();
  }

  /** Waits for `done`, failing with what is known after `timeoutMs`. */
  wait(timeoutMs: number, what: string): Promise<void> {
    return withTimeout(this.done, timeoutMs, () => `${what}: ${this.ended}/${this.total} ended after ${timeoutMs} ms`);
  }
}

/**
 * Waits until a BullMQ set (or several, summed: one per shard) holds `count` members. Handlers' events come before BullMQ stores the
 * outcome; a run is over when the last job is in the completed set, on both sides alike.
 */
export async function waitForCard(raw: Redis | Cluster, key: string | readonly string[], count: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const keys = typeof key === 'string' ? [key] : key;
  for (;;) {
    const card = (await Promise.all(keys.map((k) => raw.zcard(k)))).reduce((sum, n) => sum + n, 0);
    if (card >= count) return now();
    if (Date.now() > deadline) throw new Error(`${keys.join(' + ')} hold ${card} of ${count} after ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** Submits in batches with `submit`, which returns how many it had accepted. */
export async function inBatches(total: number, size: number, submit: (from: number, count: number) => Promise<number>): Promise<void> {
  for (let from = 0; from < total; from += size) {
    const count = Math.min(size, total - from);
    const accepted = await submit(from, count);
    if (accepted !== count) throw new Error(`only ${accepted} of ${count} tasks were accepted`);
  }
}

export const tenantIds = (n: number, stem = 'tenant'): string[] => Array.from({ length: n }, (_, i) => `${stem}-${i}`);

/** The fields of a round's figures that hold a number: those a table row can be filled from. */
type NumericField<F> = { [K in keyof F]: F[K] extends number ? K : never }[keyof F];

/** A table row and the field of each round's figures that fills it. */
export type FigureRow<F> = readonly [NumericField<F>, MetricResult];

/**
 * Runs a benchmark's rounds, each side in alternating order (`alternate`), and appends both
 * sides' figures to their rows; `onRound` reports a finished round (its progress line).
 */
export async function collectRounds<F>(
  ctx: BenchContext,
  rows: readonly FigureRow<F>[],
  sides: { turbine: () => Promise<F>; peer: () => Promise<F> },
  onRound: (figures: { turbine: F; peer: F }, round: number) => void,
): Promise<MetricResult[]> {
  for (let round = 0; round < ctx.rounds; round++) {
    const figures = await alternate(ctx, round, sides.turbine, sides.peer);
    for (const [field, row] of rows) {
      // NumericField guarantees a number; TypeScript cannot narrow an indexed generic by it.
      row.turbine.push(figures.turbine[field] as number);
      row.peer!.push(figures.peer[field] as number);
    }
    onRound(figures, round);
  }
  return rows.map(([, row]) => row);
}
