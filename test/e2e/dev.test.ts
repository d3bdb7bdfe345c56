import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { answersPing } from '../../src/dev/local-redis.js';
import { deletePrefix, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';
import { CLI_BIN } from '../helpers/processes.js';
import { freePort } from '../helpers/redis-server.js';

const run = promisify(execFile);
let cwd: string;

afterEach(() => rmSync(cwd, { recursive: true, force: true }));

async function dev(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  cwd = mkdtempSync(path.join(tmpdir(), 'turbine-dev-'));
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_BIN, 'dev', '--health-port', '0', ...args], { cwd, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The HELD column of the status tables printed for a tenant. */
function heldCounts(stdout: string, tenant: string): number[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(`${tenant} `))
    .map((line) => Number(line.trim().split(/\s+/)[2]));
}

describe('turbine dev', { timeout: 90_000 }, () => {
  it('starts a Redis of its own, runs a multi-tenant workload with hold-back, and stops it all', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await dev(['--redis-port', String(port), '--duration', '6', '--rate', '120']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`Started redis-server on redis://127.0.0.1:${port}`);
    expect(stdout).toContain('Created demo tenants: acme-corp, globex, initech');
    expect(stdout).toMatch(/metrics {2}http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(stdout).toContain('npx turbine tenant stats acme-corp');
    // acme-corp has max_concurrent_tasks 3 and gets about 60 tasks/s: its tasks are held back.
    expect(Math.max(...heldCounts(stdout, 'acme-corp'))).toBeGreaterThan(0);
    expect(existsSync(path.join(cwd, '.turbine', `redis-${port}`))).toBe(true);
    expect(await answersPing(`redis://127.0.0.1:${port}`)).toBe(false);
  });

  it('uses a given Redis and leaves it running, with the demo tenants and their quotas', async () => {
    const prefix = uniquePrefix();
    const raw = rawClient();
    try {
      const { code, stdout } = await dev(['--backend-url', redisUrl(), '--prefix', prefix, '--duration', '3', '--rate', '50']);
      expect(code).toBe(0);
      expect(stdout).toContain('Using Redis at');
      expect(stdout).toContain(`npx turbine tenant list --backend-url ${redisUrl()} --prefix ${prefix}`);
      expect(await raw.hget(`${prefix}:tenant:acme-corp`, 'max_concurrent_tasks')).toBe('3');
      expect(await raw.hget(`${prefix}:tenant:globex`, 'max_tasks_per_hour')).toBe('300');
      expect(Number(await raw.get(`${prefix}:tenant:initech:usage:total`))).toBeGreaterThan(0);
    } finally {
      await deletePrefix(raw, prefix);
      await raw.quit();
    }
  });

  it('says how to install redis-server when it is missing and nothing answers', async () => {
    const port = await freePort();
    const { code, stderr } = await dev(['--redis-port', String(port)], { ...process.env, PATH: '/nonexistent', TURBINE_BACKEND_URL: '' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: Nothing answers on redis:\/\/127\.0\.0\.1:\d+ and redis-server is not installed\. Install it \(Debian\/Ubuntu: sudo apt-get install -y redis-server/);
  });
});
