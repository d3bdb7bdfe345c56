import type { Overview } from './reads.js';

const MINUTE = 60_000;

/**
 * Tasks accepted per minute and tenant, for the sparklines: the difference of the tenant's
 * `total` counter between the readings the console takes anyway, so it costs Redis nothing.
 * It covers the time this console has been running, at most `minutes` back.
 */
export class AcceptedHistory {
  /** tenant → minute → the highest total seen in that minute. */
  private readonly totals = new Map<string, Map<number, number>>();

  constructor(private readonly minutes = 30) {}

  record(overview: Overview): void {
    const minute = Math.floor(overview.readAt.getTime() / MINUTE);
    for (const { tenant, stats } of overview.tenants) {
      let byMinute = this.totals.get(tenant.tenantId);
      if (!byMinute) this.totals.set(tenant.tenantId, (byMinute = new Map()));
      byMinute.set(minute, Math.max(byMinute.get(minute) ?? 0, stats.totalTasks));
      for (const seen of byMinute.keys()) if (seen <= minute - this.minutes) byMinute.delete(seen);
    }
  }

  /** Accepted per minute, oldest first, for the minutes seen (empty before two readings). */
  perMinute(tenantId: string): number[] {
    const byMinute = this.totals.get(tenantId);
    if (!byMinute || byMinute.size < 2) return [];
    const minutes = [...byMinute.keys()].sort((a, b) => a - b);
    const out: number[] = [];
    let previous = byMinute.get(minutes[0]!)!;
    for (let m = minutes[0]! + 1; m <= minutes.at(-1)!; m += 1) {
      // A minute without a reading carries the previous total: nothing is invented.
      const total = byMinute.get(m) ?? previous;
      out.push(Math.max(0, total - previous));
      previous = total;
    }
    return out;
  }
}

/** An inline SVG polyline of the values, scaled to its own maximum. */
export function sparklinePoints(values: readonly number[], width = 80, height = 18): string {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * height).toFixed(1)}`).join(' ');
}
