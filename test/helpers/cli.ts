import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { CLI_BIN } from './processes.js';

/** Running the real `turbine` binary (built by `npm test` before the tests run). */

const TIMEOUT_MS = 15_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Fails early and clearly when the binary was not built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: run 'npm run build' first (npm test does)`);
}

/** The environment without the caller's TURBINE_* settings, so that only what a test sets applies. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TURBINE_')) env[key] = value;
  return { ...env, ...extra };
}

/** Runs the binary exactly as given, stdin a pipe closed at once (so never a TTY). */
export function runBinary(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI_BIN, ...args], { env, timeout: TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin?.end();
  });
}

/**
 * Runs the binary on a pseudo-terminal (util-linux `script`) and types `answer` once a
 * `[y/N]` prompt is shown.
 */
export function runOnTerminal(args: readonly string[], answer: string, env: NodeJS.ProcessEnv = cleanEnv()): Promise<CliResult> {
  const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI_BIN, ...args].map(quote).join(' ');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    let stdout = '';
    let stderr = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!answered && stdout.includes('[y/N]')) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new Error(`Cannot run util-linux 'script' (apt-get install -y bsdutils): ${error.message}`)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** The JSON a successful command printed. */
export function parseJson<T>(result: CliResult): T {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** A failure: the exit code, and one line `Error: …` on stderr, nothing on stdout, no stack. */
export function expectFailure(result: CliResult, code: 1 | 2, message: string | RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^Error: /);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
}
