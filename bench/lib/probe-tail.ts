import type { Redis } from 'ioredis';
import { parseProbeEvent, probeEventsKey, type ProbeEvent } from '../../test/helpers/probe.js';
import { sleep } from './stats.js';

/**
 * Follows the probe apps' event list as it grows, reading only the lines added since the last
 * read, so that a benchmark can wait for one phase's tasks while a flood of other tasks writes
 * to the same list. Task ids are `<tag>:<n>`; events are grouped by tag, and each start is
 * checked against the process that may run its tenant.
 */
export class ProbeTail {
  /** Starts in a process other than the one `expectedPid` names for the task's tenant. */
  misplaced = 0;
  private read = 0;
  private readonly ends = new Map<string, number>();
  private readonly events = new Map<string, ProbeEvent[]>();

  constructor(
    private readonly raw: Redis,
    private readonly prefix: string,
    private readonly options: {
      expectedPid: (tenantId: string) => number;
      /** Tags whose events are only counted: a flood's would fill memory for nothing. */
      countOnly: readonly string[];
    },
  ) {}

  async poll(): Promise<void> {
    // The list only grows (RPUSH), so the lines already read keep their indexes.
    const lines = await this.raw.lrange(probeEventsKey(this.prefix), this.read, -1);
    this.read += lines.length;
    for (const line of lines) {
      const event = parseProbeEvent(line);
      const tag = event.id.slice(0, event.id.indexOf(':'));
      if (event.kind === 'S' && event.pid !== this.options.expectedPid(event.tenantId)) this.misplaced += 1;
      if (event.kind === 'E') this.ends.set(tag, (this.ends.get(tag) ?? 0) + 1);
      if (this.options.countOnly.includes(tag)) continue;
      const kept = this.events.get(tag) ?? [];
      kept.push(event);
      this.events.set(tag, kept);
    }
  }

  /** Tasks of `tag` that ended, as of the last poll. */
  ended(tag: string): number {
    return this.ends.get(tag) ?? 0;
  }

  /** Polls until `count` tasks of `tag` have ended; returns the events of `tag` read so far. */
  async waitFor(tag: string, count: number, timeoutMs: number): Promise<ProbeEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      if (this.ended(tag) >= count) return this.events.get(tag) ?? [];
      if (Date.now() > deadline) throw new Error(`${tag}: ${this.ended(tag)} of ${count} tasks ended after ${timeoutMs} ms`);
      await sleep(10);
    }
  }
}
