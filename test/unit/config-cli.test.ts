import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/root.js';

/**
 * `turbine config print` and `turbine config validate`, run in-process through the same entry
 * point as the binary (runCli), with stdout and stderr captured and the environment stubbed.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'turbine-config-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, text);
  return target;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function turbine(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void (stderr += `${args.join(' ')}\n`));
  const errWrite = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  try {
    const code = await runCli(argv);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    errWrite.mockRestore();
  }
}

beforeEach(() => {
  // Only what a test sets applies: the caller's TURBINE_* variables would change the sources.
  for (const key of Object.keys(process.env)) if (key.startsWith('TURBINE_')) vi.stubEnv(key, undefined);
});
afterEach(() => vi.unstubAllEnvs());

interface PrintJson {
  file: string | null;
  config: Record<string, unknown> & { health: { port: number; host: string }; log: { level: string } };
  sources: Record<string, string>;
}

describe('turbine config print', () => {
  it('shows each value with its source: default < file < env < flag, the password redacted', async () => {
    const config = file('print.yaml', 'concurrency: 20\nhealth:\n  port: 9000\nlog:\n  level: warn\n');
    vi.stubEnv('TURBINE_BACKEND_URL', 'redis://:s3cret@redis.internal:6380/2');
    vi.stubEnv('TURBINE_HEALTH_PORT', '9100');
    const run = await turbine('config', 'print', '--config', config, '--log-level', 'debug', '--json');
    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as PrintJson;
    expect(printed.file).toBe(config);
    expect(printed.config).toMatchObject({ backendUrl: 'redis://:***@redis.internal:6380/2', concurrency: 20, app: null });
    expect(printed.config.health).toEqual({ port: 9100, host: '0.0.0.0' });
    expect(printed.config.log.level).toBe('debug');
    expect(printed.sources).toMatchObject({
      backendUrl: 'env',
      concurrency: 'file',
      'health.port': 'env',
      'health.host': 'default',
      'log.level': 'flag',
      prefix: 'default',
    });
    expect(run.stdout).not.toContain('s3cret');
  });

  it('prints a table for people, never the password', async () => {
    vi.stubEnv('TURBINE_BACKEND_URL', 'redis://user:s3cret@redis.internal:6379');
    const run = await turbine('config', 'print', '--concurrency', '7');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Configuration file: none');
    expect(lines[1]).toMatch(/^OPTION\s+VALUE\s+SOURCE\s+ENV$/);
    expect(lines.find((l) => l.startsWith('concurrency '))).toMatch(/^concurrency\s+7\s+flag\s+TURBINE_CONCURRENCY$/);
    expect(lines.find((l) => l.startsWith('backendUrl '))).toMatch(/redis:\/\/user:\*\*\*@redis\.internal:6379\s+env\s/);
    expect(run.stdout).not.toContain('s3cret');
  });

  it('never prints a password given in the query, which ioredis honours', async () => {
    vi.stubEnv('TURBINE_BACKEND_URL', 'redis://redis.internal:6379/0?password=s3cret');
    const run = await turbine('config', 'print', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as PrintJson).config.backendUrl).toBe('redis://redis.internal:6379/0?password=***');
    expect(run.stdout).not.toContain('s3cret');
  });

  it('takes the file from TURBINE_CONFIG, as the worker does', async () => {
    vi.stubEnv('TURBINE_CONFIG', file('from-env.yaml', 'prefix: "{tenants}"\n'));
    const printed = JSON.parse((await turbine('config', 'print', '--json')).stdout) as PrintJson;
    expect(printed.config.prefix).toBe('{tenants}');
    expect(printed.sources.prefix).toBe('file');
  });

  it('exits 2 naming the option and its source when a value is invalid', async () => {
    vi.stubEnv('TURBINE_CONCURRENCY', 'many');
    const run = await turbine('config', 'print');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim()).toBe('Error: Invalid configuration: TURBINE_CONCURRENCY=many is not a number');
  });
});

describe('turbine config validate', () => {
  it('exits 0 with "valid" for a good file, and for config/default.yaml', async () => {
    const good = file('good.yaml', 'queues: [emails, processing]\nconcurrency: 50\nshutdownGraceMs: 60000\n');
    const run = await turbine('config', 'validate', good);
    expect(run).toEqual({ code: 0, stdout: `${good}: valid\n`, stderr: '' });
    const defaults = path.resolve(import.meta.dirname, '../../config/default.yaml');
    expect((await turbine('config', 'validate', defaults, '--json')).stdout).toBe(`${JSON.stringify({ file: defaults, valid: true }, null, 2)}\n`);
  });

  it('judges the file alone: the environment cannot make a bad file pass', async () => {
    const bad = file('bad-concurrency.yaml', 'concurrency: 0\n');
    vi.stubEnv('TURBINE_CONCURRENCY', '5');
    const run = await turbine('config', 'validate', bad);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(new RegExp(`^Error: Invalid configuration: concurrency from config file ${bad}: .*\\n$`));
  });

  it.each([
    ['a wrong type', 'health:\n  port: "http"\n', /health\.port from config file .*: /],
    ['an unknown option', 'concurency: 5\n', /unknown option 'concurency'/],
    ['an unknown nested option', 'metrics:\n  enable: false\n', /unknown option 'metrics\.enable'/],
    ['a bad queue name', 'queues: ["a:b"]\n', /queues\.0 from config file .*: queue names use/],
    ['a bad Redis URL', 'backendUrl: localhost:6379\n', /backendUrl from config file .*: not a URL; expected redis:\/\/.*redis\+sentinel:\/\//],
    ['YAML that is not a mapping', '- a\n- b\n', /must hold a mapping of options/],
  ])('exits 2 for %s, naming the field', async (_what, text, message) => {
    const run = await turbine('config', 'validate', file('bad.yaml', text));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 for a missing file and for a missing argument', async () => {
    const missing = await turbine('config', 'validate', path.join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Cannot read config file .*nope\.yaml/);
    expect((await turbine('config', 'validate')).code).toBe(2);
  });
});
