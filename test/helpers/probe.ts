import type { Redis } from 'ioredis';

export interface ProbeEvent {
  kind: 'S' | 'E';
  at: number;
  pid: number;
  tenantId: string;
  taskId: string;
  id: string;
  attempt: number;
}

/** The list test/fixtures/probe-app.mjs writes its events to. */
export const probeEventsKey = (prefix: string): string => `${prefix}:probe:events`;

/** One line of that list. */
export function parseProbeEvent(line: string): ProbeEvent {
  const [kind, at, pid, tenantId, taskId, id, attempt] = line.split('|');
  return { kind: kind as 'S' | 'E', at: Number(at), pid: Number(pid), tenantId: tenantId!, taskId: taskId!, id: id!, attempt: Number(attempt) };
}

/** Events written by test/fixtures/probe-app.mjs. */
export async function readProbeEvents(raw: Redis, prefix: string): Promise<ProbeEvent[]> {
  return (await raw.lrange(probeEventsKey(prefix), 0, -1)).map(parseProbeEvent);
}

/**
 * The most runs of one tenant that overlapped in time. A run of a killed process that never
 * ended counts as running until the kill.
 */
export function maxConcurrent(events: ProbeEvent[], tenantId: string, killedAt: Map<number, number> = new Map()): number {
  const open = new Map<string, ProbeEvent>();
  const points: [number, number][] = [];
  for (const e of events.filter((x) => x.tenantId === tenantId)) {
    const key = `${e.pid}:${e.taskId}:${e.attempt}`;
    if (e.kind === 'S') open.set(key, e);
    else if (open.delete(key)) points.push([e.at, -1]);
    if (e.kind === 'S') points.push([e.at, +1]);
  }
  for (const run of open.values()) {
    const end = killedAt.get(run.pid);
    if (end !== undefined) points.push([end, -1]);
  }
  // Ends before starts at the same millisecond: a slot handed over is not an overlap.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let max = 0;
  for (const [, delta] of points) {
    running += delta;
    max = Math.max(max, running);
  }
  return max;
}

/** Ids whose run ended, with how many times each ended. */
export function completions(events: ProbeEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) if (e.kind === 'E') out.set(e.id, (out.get(e.id) ?? 0) + 1);
  return out;
}

/** The most starts in any window of `windowMs` (starts sorted). */
export function mostInWindow(starts: readonly number[], windowMs: number): number {
  let most = 0;
  let from = 0;
  for (let i = 0; i < starts.length; i++) {
    while (starts[i]! - starts[from]! >= windowMs) from++;
    most = Math.max(most, i - from + 1);
  }
  return most;
}

/**
 * When each completed job of a queue (BullMQ's keys under `queueKey`, `<prefix>:q:<queue>` for
 * Turbine) was fetched, sorted; only `tenantId`'s when given (the `tenant_id` of the job's
 * data). It is BullMQ's `processedOn`, the time the worker passed to the fetch that claimed it
 * (a held-back fetch clears it). A handler's own stamp can come much later in a busy or
 * warming-up process, so rate bounds are checked on these.
 */
export async function fetchTimes(raw: Redis, queueKey: string, tenantId?: string): Promise<number[]> {
  const ids = await raw.zrange(`${queueKey}:completed`, '0', '-1');
  const jobs = await Promise.all(ids.map((id) => raw.hmget(`${queueKey}:${id}`, 'processedOn', 'data')));
  return jobs
    .filter(([, data]) => tenantId === undefined || (JSON.parse(data ?? '{}') as { tenant_id?: string }).tenant_id === tenantId)
    .map(([at]) => Number(at))
    .sort((a, b) => a - b);
}

/**
 * Windows that hold more starts than the GCRA allows: in any span of L ms, at most
 * burst + L / interval starts. Each span is measured 30 ms short, for the few ms between the
 * worker's clock read and the limiter's (Redis's) in the same fetch.
 */
export function overfullSpans(starts: readonly number[], perSecond: number, burst: number): string[] {
  const interval = 1000 / perSecond;
  const over: string[] = [];
  for (const spanMs of [interval, 2 * interval, 500, 1000, 2000, 3000]) {
    const most = mostInWindow(starts, spanMs - 30);
    if (most > burst + Math.floor(spanMs / interval)) over.push(`${most} starts within ${spanMs} ms`);
  }
  return over;
}
