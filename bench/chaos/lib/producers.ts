import type { TaskDefinition } from '../../../src/index.js';
import { sleep } from '../../lib/stats.js';

/**
 * Producers that keep submitting probe tasks (one at a time each) until stopped, and remember
 * which were accepted: an accepted task must run, whatever happens to Redis meanwhile. A
 * submission that failed may still have been stored (its reply lost); if it runs, that is
 * not a loss, so only accepted ids are held to account.
 */
export class Producers {
  readonly accepted = new Set<string>();
  /** Accepted after `markRecovery()` was called. */
  acceptedAfterMark = 0;
  attempts = 0;
  failed = 0;
  private running = true;
  private marked = false;
  private readonly loops: Promise<void>[];

  constructor(
    record: TaskDefinition<[string, number], string>,
    count: number,
    tenants: readonly string[],
    handlerMs: number,
    everyMs: number,
  ) {
    this.loops = Array.from({ length: count }, async (_, p) => {
      for (let n = 0; this.running; n++) {
        const id = `p${p}-${n}`;
        this.attempts += 1;
        try {
          await record.applyAsync({ args: [id, handlerMs], tenantId: tenants[n % tenants.length]! });
          this.accepted.add(id);
          if (this.marked) this.acceptedAfterMark += 1;
        } catch {
          this.failed += 1;
        }
        await sleep(everyMs);
      }
    });
  }

  /** From now on, count acceptances separately (e.g. after Redis came back). */
  markRecovery(): void {
    this.marked = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}
