/** What a scenario injected and counted, and the invariants it found broken. */
export interface ScenarioReport {
  name: string;
  /** Faults and inputs injected, one line each ("kill -9 worker 1234 at 3.2 s"). */
  injected: string[];
  /** Submitted, completed, lost, duplicated, max running, … */
  counts: Record<string, number>;
  /** Broken invariants; empty when the scenario passed. */
  violations: string[];
  /** Seconds the scenario took. */
  seconds: number;
}

export type Profile = 'short' | 'full';

/** A fault-injection scenario: its parameters per profile, and how to run it. */
export interface Scenario<P> {
  name: string;
  /** One line: what is injected and what must hold. */
  summary: string;
  profiles: Record<Profile, P>;
  run(params: P, log: (line: string) => void): Promise<ScenarioReport>;
}

/** Collects a scenario's report as it runs. */
export class Recorder {
  readonly injected: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly violations: string[] = [];
  private readonly started = Date.now();

  constructor(
    readonly name: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Seconds since the scenario started, for the injection log. */
  get elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }

  inject(what: string): void {
    const line = `${what} at ${this.elapsed}`;
    this.injected.push(line);
    this.log(line);
  }

  /** Records a violation unless `ok`. */
  check(ok: boolean, violation: string): void {
    if (!ok) this.violations.push(violation);
  }

  report(): ScenarioReport {
    return {
      name: this.name,
      injected: this.injected,
      counts: this.counts,
      violations: this.violations,
      seconds: (Date.now() - this.started) / 1000,
    };
  }
}

export function renderReport(report: ScenarioReport): string {
  const lines = [`${report.violations.length ? 'FAIL' : 'PASS'} ${report.name} (${report.seconds.toFixed(1)} s)`];
  const shown = report.injected.length > 12 ? [...report.injected.slice(0, 10), `… ${report.injected.length - 10} more`] : report.injected;
  for (const line of shown) lines.push(`  injected: ${line}`);
  lines.push(`  counted:  ${Object.entries(report.counts).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(1)}`).join(', ')}`);
  for (const v of report.violations.slice(0, 20)) lines.push(`  VIOLATION: ${v}`);
  if (report.violations.length > 20) lines.push(`  … ${report.violations.length - 20} more violations`);
  return lines.join('\n');
}
