import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { cleanEnv } from './cli.js';
import { CLI_BIN } from './processes.js';

/** Debian's chromium, installed by .ci/run like the other tools the end-to-end tests drive. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`);
  }
  // --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A `turbine ui` process on a free port. */
export class ConsoleProcess {
  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
  ) {}

  static start(options: { url: string; prefix: string; token?: string; refreshMs?: number; shards?: number }): Promise<ConsoleProcess> {
    const env = cleanEnv(options.token ? { TURBINE_UI_TOKEN: options.token } : {});
    const args = [CLI_BIN, 'ui', '--port', '0', '--backend-url', options.url, '--prefix', options.prefix];
    if (options.refreshMs) args.push('--refresh-ms', String(options.refreshMs));
    if (options.shards) args.push('--shards', String(options.shards));
    const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`turbine ui did not start within 15 s:\n${output}`)), 15_000);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(error);
      };
      proc.once('exit', (code) => fail(new Error(`turbine ui exited (${code}):\n${output}`)));
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /Turbine console on (http:\/\/\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          proc.removeAllListeners('exit');
          resolve(new ConsoleProcess(proc, match[1]!.replace(/\/$/, '')));
        }
      };
      proc.stdout!.on('data', read);
      proc.stderr!.on('data', read);
    });
  }

  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null> {
    if (this.proc.exitCode !== null) return Promise.resolve(this.proc.exitCode);
    const exited = new Promise<number | null>((resolve) => this.proc.once('exit', (code) => resolve(code)));
    this.proc.kill('SIGTERM');
    return exited;
  }
}
