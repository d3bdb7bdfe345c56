import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:net';
import { DEFAULT_HEALTH_PORT } from '../../src/config/schema.js';
import { answersPing } from '../../src/dev/local-redis.js';
import { deletePrefix, rawClient, redisUrl, uniquePrefix } from '../helpers/context.js';
import { occupyPort, releasePort } from '../helpers/ports.js';
import { CLI_BIN } from '../helpers/processes.js';
import { freePort } from '../helpers/redis-server.js';

const run = promisify(execFile);
let cwd: string;

afterEach(() => rmSync(cwd, { recursive: true, force: true }));

/** Runs `turbine dev` to its end; on any free health port unless `args` says otherwise (or null: the default). */
async function dev(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  healthPort: string | null = '0',
): Promise<{ code: number; stdout: string; stderr: string }> {
  cwd = mkdtempSync(path.join(tmpdir(), 'turbine-dev-'));
  const health = healthPort === null ? [] : ['--health-port', healthPort];
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_BIN, 'dev', ...health, ...args], { cwd, env, timeout: 60_000 });
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
    // Not a terminal: each table printed after the last, no cursor movement.
    expect(stdout).not.toContain('\x1b[');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('Stopped (the worker drained, then redis-server).');
  });

  it('on Ctrl-C (SIGINT to its process group) drains the worker, then stops its redis-server, and says so once', async () => {
    const port = await freePort();
    cwd = mkdtempSync(path.join(tmpdir(), 'turbine-dev-'));
    // A process group of its own, as a terminal's foreground job: the signal goes to the group.
    const child = spawn(process.execPath, [CLI_BIN, 'dev', '--health-port', '0', '--redis-port', String(port), '--rate', '60'], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no status table within 60 s:\n${stdout}\n${stderr}`)), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!stdout.includes('TASKS THIS HOUR')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('Stopped (the worker drained, then redis-server).');
    expect(lines.filter((l) => l.startsWith('Stopped'))).toHaveLength(1);
    expect(stdout).not.toMatch(/ECONNREFUSED|Error/);
    expect(await answersPing(`redis://127.0.0.1:${port}`)).toBe(false);
  });

  it('redraws its status table in place on a terminal', async () => {
    const port = await freePort();
    cwd = mkdtempSync(path.join(tmpdir(), 'turbine-dev-'));
    const command = [process.execPath, CLI_BIN, 'dev', '--health-port', '0', '--redis-port', String(port), '--duration', '5'].join(' ');
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('error', reject);
      child.once('exit', () => resolve(text));
    });
    // The second table moves the cursor up over the first (header, three tenants: 4 lines) and clears.
    expect(output).toContain('\x1b[4A\x1b[0J');
    expect(output.split('TASKS THIS HOUR').length - 1).toBeGreaterThan(1);
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

  describe('with the health port taken (another worker on this host)', () => {
    let blocker: Server | null = null;
    afterEach(async () => releasePort(blocker));

    it('moves to a free port when the default is taken, says which, and points there', async () => {
      blocker = await occupyPort(DEFAULT_HEALTH_PORT);
      const prefix = uniquePrefix();
      const raw = rawClient();
      try {
        const { code, stdout, stderr } = await dev(['--backend-url', redisUrl(), '--prefix', prefix, '--duration', '2', '--rate', '10'], process.env, null);
        expect(stderr).toBe('');
        expect(code).toBe(0);
        const moved = /Note: health port 9464 is in use \(another worker on this host\?\); serving on (\d+) instead; pass --health-port to choose/.exec(stdout);
        expect(moved).not.toBeNull();
        const port = Number(moved![1]);
        expect(port).not.toBe(DEFAULT_HEALTH_PORT);
        expect(stdout).toContain(`metrics  http://127.0.0.1:${port}/metrics`);
      } finally {
        await deletePrefix(raw, prefix);
        await raw.quit();
      }
    });

    it('an explicitly chosen port that is taken is an error naming the flag (exit 2)', async () => {
      const port = await freePort();
      blocker = await occupyPort(port);
      const prefix = uniquePrefix();
      const raw = rawClient();
      try {
        const { code, stderr } = await dev(['--backend-url', redisUrl(), '--prefix', prefix, '--duration', '2'], process.env, String(port));
        expect(code).toBe(2);
        expect(stderr).toContain(`Health port ${port} (from --health-port) is already in use`);
        expect(stderr).toContain('pass a free port with --health-port');
      } finally {
        await deletePrefix(raw, prefix);
        await raw.quit();
      }
    });
  });

  it('says how to install redis-server when it is missing and nothing answers', async () => {
    const port = await freePort();
    const { code, stderr } = await dev(['--redis-port', String(port)], { ...process.env, PATH: '/nonexistent', TURBINE_BACKEND_URL: '' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^Error: Nothing answers on redis:\/\/127\.0\.0\.1:\d+ and redis-server is not installed\. Install it \(Debian\/Ubuntu: sudo apt-get install -y redis-server/);
  });
});
