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

/** Events written by test/fixtures/probe-app.mjs. */
export async function readProbeEvents(raw: Redis, prefix: string): Promise<ProbeEvent[]> {
  const lines = await raw.lrange(`${prefix}:probe:events`, 0, -1);
  return lines.map((line) => {
    const [kind, at, pid, tenantId, taskId, id, attempt] = line.split('|');
    return { kind: kind as 'S' | 'E', at: Number(at), pid: Number(pid), tenantId: tenantId!, taskId: taskId!, id: id!, attempt: Number(attempt) };
  });
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
