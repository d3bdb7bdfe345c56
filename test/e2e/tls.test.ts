import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { assertCliBuilt, cleanEnv, expectFailure, runBinary } from '../helpers/cli.js';
import { pollUntil } from '../helpers/context.js';
import { completions, readProbeEvents } from '../helpers/probe.js';
import { WorkerProcess } from '../helpers/processes.js';
import { RedisServer, freePort } from '../helpers/redis-server.js';
import { TestCertificates } from '../helpers/tls.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * `rediss://`: a redis-server of the test's own with a TLS port (certificate from a throwaway
 * CA). The real CLI and worker binaries connect to the TLS port; the test itself reads and
 * submits through the plain port of the same server.
 */

let certs: TestCertificates;
let server: RedisServer;
let tlsUrl: string;
let world: TestWorld;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  assertCliBuilt();
  certs = new TestCertificates();
  const tlsPort = await freePort();
  server = await RedisServer.start(certs.redisArgs(tlsPort));
  tlsUrl = `rediss://127.0.0.1:${tlsPort}`;
});

afterEach(async () => {
  for (const w of workers.splice(0)) {
    w.kill('SIGKILL');
    await w.exited;
  }
  await world.close();
});

afterAll(async () => {
  await server.close();
  certs.remove();
});

describe('rediss:// (TLS)', { timeout: 60_000 }, () => {
  it('the CLI and a worker use Redis over TLS when the CA is trusted through NODE_EXTRA_CA_CERTS', async () => {
    world = new TestWorld(server.url);
    const trusted = cleanEnv({ NODE_EXTRA_CA_CERTS: certs.caFile });
    const created = await runBinary(['tenant', 'create', 'acme', 'ACME', '--backend-url', tlsUrl, '--prefix', world.prefix], trusted);
    expect(created.code, created.stderr).toBe(0);
    expect(await world.raw.hget(`${world.prefix}:tenant:acme`, 'name')).toBe('ACME');

    const worker = await WorkerProcess.start({
      url: tlsUrl,
      prefix: world.prefix,
      env: { NODE_EXTRA_CA_CERTS: certs.caFile },
      onSpawn: (w) => workers.push(w),
    });
    const record: TaskDefinition<[string, number], string> = world.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _sleepMs: number) => id);
    await record.applyBulk(Array.from({ length: 5 }, (_, i) => ({ args: [`t-${i}`, 1] as [string, number], tenantId: 'acme' })));
    const done = async (): Promise<number> => completions(await readProbeEvents(world.raw, world.prefix)).size;
    await pollUntil(done, (n) => n === 5, { what: 'five tasks run by the TLS worker' });
    expect(await worker.stop()).toBe(0);
    workers.length = 0;
  });

  it('an untrusted certificate fails in one line that names the problem and the fix', async () => {
    world = new TestWorld(server.url);
    const result = await runBinary(['tenant', 'list', '--backend-url', tlsUrl, '--prefix', world.prefix], cleanEnv());
    expectFailure(result, 1, /Cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+ \(.*certificate.*NODE_EXTRA_CA_CERTS/);

    const worker = WorkerProcess.spawnOnly({ url: tlsUrl, prefix: world.prefix, onSpawn: (w) => workers.push(w) });
    await worker.waitForLog(
      (l) => l.msg === 'waiting for Redis; reconnecting with backoff' && /certificate.*NODE_EXTRA_CA_CERTS/.test(String(l.reason)),
    );
  });
});
