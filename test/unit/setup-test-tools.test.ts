// The tool setup script that `npm test` and CI run first. Its programs are found on PATH, so each
// case runs it with a PATH of a few stand-ins: `id` says who runs it, and `apt-get` records its
// arguments instead of installing (the real install is what CI does on a fresh machine).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/setup-test-tools.sh');
const ALL_PACKAGES = 'redis-server prometheus openssl bsdutils chromium';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function standIns(uid: number): { bin: string; aptLog: string } {
  dir = mkdtempSync(path.join(tmpdir(), 'turbine-setup-'));
  const bin = path.join(dir, 'bin');
  const aptLog = path.join(dir, 'apt.log');
  mkdirSync(bin);
  const stub = (name: string, body: string): void => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  stub('id', `echo ${uid}`);
  stub('apt-get', `echo "$@" >> ${aptLog}`);
  symlinkSync('/usr/bin/env', path.join(bin, 'env'));
  return { bin, aptLog };
}

function run(pathVar: string) {
  return spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8', env: { PATH: pathVar } });
}

describe('scripts/setup-test-tools.sh', () => {
  it('returns at once, silently, when every program is present', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'turbine-setup-'));
    const result = spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
  });

  it('as root, installs each missing package once with apt-get', () => {
    const { bin, aptLog } = standIns(0);
    const result = run(bin);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(`installing ${ALL_PACKAGES}`);
    expect(readFileSync(aptLog, 'utf8').trim().split('\n')).toEqual(['update -qq', `install -y -qq ${ALL_PACKAGES}`]);
  });

  it('without root or sudo, prints the apt command and lets the tests go on', () => {
    const { bin, aptLog } = standIns(1000);
    const result = run(bin);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`sudo apt-get update && sudo apt-get install -y ${ALL_PACKAGES}`);
    expect(existsSync(aptLog)).toBe(false);
  });

  it('is what npm test runs first, and CI runs the README test command exactly', () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
      .scripts;
    expect(scripts.pretest).toBe('bash scripts/setup-test-tools.sh');
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const testCommand = /^(npm ci && npm test)\b/m.exec(readme)?.[1];
    expect(testCommand).toBe('npm ci && npm test');
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8');
    expect(ci).toContain('bash scripts/setup-test-tools.sh');
    expect(ci.split('\n')).toContain(testCommand);
  });
});
