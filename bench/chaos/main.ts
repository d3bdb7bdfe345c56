import { parseArgs } from 'node:util';
import { renderReport, type Profile, type ScenarioReport } from './lib/scenario.js';
import { SCENARIOS } from './scenarios/index.js';

/**
 * `npm run chaos [-- --profile short|full] [--only name,name]`: runs the fault-injection
 * scenarios against real worker processes and a redis-server of their own; prints what each
 * injected and counted, and exits 1 when an invariant broke.
 */
const names = SCENARIOS.map((s) => s.name);
const USAGE = `Usage: npm run chaos -- [--profile short|full] [--only ${names.join(',')}]`;

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'full' },
    only: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const profile = values.profile as Profile;
const only = values.only?.split(',').map((s) => s.trim()) ?? null;
const unknown = only?.filter((n) => !names.includes(n)) ?? [];
if ((profile !== 'short' && profile !== 'full') || unknown.length) {
  console.error(`${unknown.length ? `Unknown scenario(s) ${unknown.join(', ')}` : `Unknown profile ${profile}`}\n${USAGE}`);
  process.exit(2);
}

const reports: ScenarioReport[] = [];
for (const scenario of SCENARIOS) {
  if (only && !only.includes(scenario.name)) continue;
  console.log(`\n== ${scenario.name} (${profile}): ${scenario.summary}`);
  let report: ScenarioReport;
  try {
    report = await scenario.run(scenario.profiles[profile], (line) => console.log(`  … ${line}`));
  } catch (error) {
    report = { name: scenario.name, injected: [], counts: {}, violations: [`crashed: ${(error as Error).stack ?? String(error)}`], seconds: 0 };
  }
  reports.push(report);
  console.log(renderReport(report));
}
const failed = reports.filter((r) => r.violations.length);
console.log(`\n${reports.length - failed.length}/${reports.length} scenarios held their invariants${failed.length ? `; failed: ${failed.map((r) => r.name).join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;
