import { describe, expect, it } from 'vitest';
import type { ScenarioReport } from '../../bench/chaos/lib/scenario.js';
import { SCENARIOS } from '../../bench/chaos/scenarios/index.js';

/**
 * The fault-injection suite's short profile (bench/chaos, `npm run chaos -- --profile short`):
 * real `turbine-worker` processes (built first by `npm test`) and a redis-server per scenario.
 * Each scenario reports the invariants it found broken; the counts checked here make sure the
 * fault was really injected, so that a scenario cannot pass by doing nothing.
 */
const injected: Record<string, (counts: ScenarioReport['counts']) => void> = {
  'kill-workers': (c) => {
    expect(c.kills).toBeGreaterThan(0);
    // At least one kill took slots with it and was followed by enough work to see them come back.
    expect(c.recoveriesChecked).toBeGreaterThan(0);
    expect(c.lost).toBe(0);
    expect(c.maxRunning).toBeLessThanOrEqual(10);
  },
  'redis-restart': (c) => {
    expect(c.acceptedAfterRestart).toBeGreaterThan(0);
    expect(c.lost).toBe(0);
  },
  'redis-freeze': (c) => {
    expect(c.workersSaw503).toBeGreaterThan(0);
    expect(c.lost).toBe(0);
  },
  poison: (c) => {
    expect(c.poison).toBeGreaterThan(0);
    expect(c.deadLettered).toBe(c.poison);
  },
  'quota-race': (c) => {
    expect(c.hourlyAccepted).toBe(1000);
    expect(c.queuedAccepted).toBe(200);
  },
  'bad-input': (c) => {
    expect(c.cliCases).toBeGreaterThan(0);
    expect(c.keysChanged).toBe(0);
  },
  isolation: (c) => {
    expect(c.victimRanOnce).toBe(c.victimTasks);
    expect(c.victimEntries).toBeGreaterThan(0);
    expect(c.dlqLeaks).toBe(0);
  },
  operator: (c) => {
    expect(c.submitted).toBeGreaterThan(0);
    expect(c.stuck).toBe(0);
    expect(c.slotsLeft).toBe(0);
    expect(c.retriedByHand).toBeGreaterThan(0);
  },
};

describe('fault injection (short profile)', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.summary}`, { timeout: 120_000 }, async () => {
      const report = await scenario.run(scenario.profiles.short, () => undefined);
      expect(report.violations).toEqual([]);
      expect(injected[scenario.name], `no checks for scenario ${scenario.name}`).toBeDefined();
      injected[scenario.name]!(report.counts);
    });
  }
});
