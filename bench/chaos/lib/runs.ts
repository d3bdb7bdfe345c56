import type { ProbeEvent } from '../../../test/helpers/probe.js';

/** One run of a task in a worker process, from its start event to its end event. */
export interface Run {
  pid: number;
  taskId: string;
  id: string;
  start: number;
  /** The end event's time; null when the run never ended (its worker was killed). */
  end: number | null;
}

/**
 * Runs from probe events. An event identical to an earlier one, time included, is the same
 * write sent twice (a client resends unanswered commands after reconnecting), not a new run.
 */
export function runsOf(events: readonly ProbeEvent[]): Run[] {
  const open = new Map<string, Run>();
  const runs: Run[] = [];
  const seen = new Set<string>();
  for (const e of events) {
    const line = `${e.kind}|${e.at}|${e.pid}|${e.tenantId}|${e.taskId}|${e.id}|${e.attempt}`;
    if (seen.has(line)) continue;
    seen.add(line);
    // Task ids are scoped per tenant: two tenants' tasks may share one and run side by side.
    const key = `${e.pid}:${e.tenantId}:${e.taskId}:${e.attempt}`;
    if (e.kind === 'S') {
      const run: Run = { pid: e.pid, taskId: e.taskId, id: e.id, start: e.at, end: null };
      open.set(key, run);
      runs.push(run);
    } else {
      const run = open.get(key);
      if (run) run.end = e.at;
      open.delete(key);
    }
  }
  return runs;
}

/** Running count over time: +1 at a start, −1 at an end (or at its worker's death). */
function timeline(runs: readonly Run[], killedAt: ReadonlyMap<number, number>): [number, number][] {
  const points: [number, number][] = [];
  for (const run of runs) {
    points.push([run.start, +1]);
    const end = run.end ?? killedAt.get(run.pid);
    if (end !== undefined) points.push([end, -1]);
  }
  // Ends before starts at the same millisecond: a slot handed over is not an overlap.
  return points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The most runs that overlapped in time. */
export function maxRunning(runs: readonly Run[], killedAt: ReadonlyMap<number, number>): number {
  let running = 0;
  let max = 0;
  for (const [, delta] of timeline(runs, killedAt)) {
    running += delta;
    max = Math.max(max, running);
  }
  return max;
}

/** The first time at or after `from` when `level` runs were running at once; null if never. */
export function firstTimeAtLevel(runs: readonly Run[], killedAt: ReadonlyMap<number, number>, from: number, level: number): number | null {
  let running = 0;
  for (const [at, delta] of timeline(runs, killedAt)) {
    running += delta;
    if (at >= from && running >= level) return at;
  }
  return null;
}

/** Ids whose run ended, with how many times each ended. */
export function endedCounts(runs: readonly Run[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const run of runs) if (run.end !== null) out.set(run.id, (out.get(run.id) ?? 0) + 1);
  return out;
}
