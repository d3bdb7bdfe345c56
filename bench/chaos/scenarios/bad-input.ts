import { spawn } from 'node:child_process';
import { DeadLetterQueue, TurbineError } from '../../../src/index.js';
import { CLI_BIN } from '../../lib/processes.js';
import { EXISTING_TENANT, cliCase } from '../lib/cli-cases.js';
import { ChaosEnv, seededRandom } from '../lib/env.js';
import { keyspaceDiff, keyspaceSnapshot } from '../lib/keyspace.js';
import { Recorder, type Scenario } from '../lib/scenario.js';
import { REFUSING_TENANTS, sdkCase, type SdkWorld } from '../lib/sdk-cases.js';

export interface BadInputParams {
  cli: number;
  sdk: number;
  seed: number;
  /** CLI processes at once. */
  parallel: number;
}

interface CliOutcome {
  code: number | null;
  stderr: string;
}

function runCli(args: string[], env: ChaosEnv): Promise<CliOutcome> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI_BIN, ...args], {
      env: { ...process.env, TURBINE_BACKEND_URL: env.url, TURBINE_PREFIX: env.prefix, TURBINE_ACTOR: 'fuzz' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    let stderr = '';
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('close', (code) => resolve({ code, stderr }));
  });
}

/** Each case draws from a generator of its own, so that case i of a seed is always the same input. */
const caseRandom = (seed: number, kind: number, index: number): (() => number) => seededRandom(seed * 1_000_003 + kind * 100_003 + index);

/**
 * 6. Generated bad input (seeded) to the real `turbine` binary and to the SDK in-process: bad
 * tenant ids, quota values, payloads, options and flags. Must hold: the CLI exits 2 with an
 * `Error: …` line, the SDK throws a TurbineError, and the Redis keyspace is exactly as before,
 * but for the usage hours that count the refusals (metering counts them by reason).
 */
export const badInput: Scenario<BadInputParams> = {
  name: 'bad-input',
  summary: 'seeded bad input to the CLI binary and the SDK: typed errors / exit 2, keyspace unchanged but for refusals metered',
  profiles: {
    short: { cli: 40, sdk: 400, seed: 20_240_601, parallel: 2 },
    full: { cli: 500, sdk: 500, seed: 20_240_601, parallel: 2 },
  },
  async run(p, log) {
    const rec = new Recorder('bad-input', log);
    const env = await ChaosEnv.start();
    const dlq = new DeadLetterQueue({ backendUrl: env.url, prefix: env.prefix });
    try {
      // Some state for bad input to (not) disturb: tenants, usage, held tasks.
      await env.manager.createTenant({ tenantId: EXISTING_TENANT, name: 'Existing', quotas: { maxConcurrentTasks: 0, maxTasksPerHour: 100 } });
      for (const t of Object.values(REFUSING_TENANTS)) await env.manager.createTenant({ tenantId: t.tenantId, name: t.tenantId, quotas: t.quotas, enabled: 'enabled' in t ? t.enabled : true });
      await env.tasks.record.applyBulk([1, 2, 3].map((i) => ({ args: [`held-${i}`, 1] as [string, number], tenantId: EXISTING_TENANT })));
      const before = await keyspaceSnapshot(env.raw);

      let cliBad = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: p.parallel }, async () => {
          for (let i = next++; i < p.cli; i = next++) {
            const args = cliCase(caseRandom(p.seed, 1, i));
            const out = await runCli(args, env);
            const line = out.stderr.split('\n').find((l) => l.startsWith('Error: ')) ?? '';
            if (out.code !== 2 || !/^Error: \S/.test(line)) {
              cliBad += 1;
              rec.check(false, `CLI case ${i} (seed ${p.seed}): turbine ${JSON.stringify(args)} → exit ${out.code}: ${(line || out.stderr).slice(0, 200)}`);
            }
          }
        }),
      );

      const world: SdkWorld = { app: env.app, manager: env.manager, dlq, record: env.tasks.record };
      let sdkBad = 0;
      const untyped = new Map<string, number>();
      for (let i = 0; i < p.sdk; i++) {
        const c = sdkCase(caseRandom(p.seed, 2, i));
        let thrown: unknown = null;
        let threw = false;
        try {
          await c.call(world);
        } catch (error) {
          threw = true;
          thrown = error;
        }
        if (threw && thrown instanceof TurbineError && thrown.message) continue;
        sdkBad += 1;
        const what = threw ? `${(thrown as Error)?.name ?? typeof thrown}: ${(thrown as Error)?.message ?? String(thrown)}` : 'accepted';
        // One line per kind of failure, with the first case that showed it.
        const key = `${c.what.replace(/\d+/g, 'N')} → ${what.split(':')[0]}`;
        if (!untyped.has(key)) rec.check(false, `SDK case ${i} (seed ${p.seed}): ${c.what} → ${what.replace(/\s*\n\s*/g, ' ').slice(0, 200)}`);
        untyped.set(key, (untyped.get(key) ?? 0) + 1);
      }

      const diff = keyspaceDiff(before, await keyspaceSnapshot(env.raw)).filter((change) => !change.includes(':usage-hour:'));
      rec.inject(`${p.cli} bad CLI invocations and ${p.sdk} bad SDK calls (seed ${p.seed})`);
      Object.assign(rec.counts, { cliCases: p.cli, cliNotExit2: cliBad, sdkCases: p.sdk, sdkNotTyped: sdkBad, keysChanged: diff.length });
      rec.check(diff.length === 0, `the keyspace changed: ${diff.slice(0, 10).join(', ')}`);
    } finally {
      await dlq.close();
      await env.close();
    }
    return rec.report();
  },
};
