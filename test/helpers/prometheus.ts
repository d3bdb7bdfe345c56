import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pollUntil } from './context.js';
import { freePort } from './redis-server.js';
import { findToolSource, type Tool } from './tool-source.js';

/**
 * A Prometheus of the test's own, 1 s scrapes and rule evaluation, and its `promtool`: the
 * binaries when they are on PATH, else the prom/prometheus image (which has both) through
 * testcontainers, else an error that says what to install (see tool-source.ts).
 */

export const PROMETHEUS: Tool = {
  name: 'Prometheus',
  binaries: ['prometheus', 'promtool'],
  // The 2.x line, as Debian's package (what the binary path runs on CI).
  image: 'prom/prometheus:v2.53.0',
  install:
    '`apt-get update && apt-get install -y prometheus` on Debian/Ubuntu, which scripts/setup-test-tools.sh does, ' +
    'or the binaries of a release from https://prometheus.io/download/',
};

/** What Prometheus scrapes: ports of this machine, on 127.0.0.1. */
export interface ScrapeJob {
  job: string;
  ports: number[];
}

export interface PrometheusOptions {
  jobs: ScrapeJob[];
  /** A directory of rule files (and their tests), as promtool and Prometheus read them. */
  rulesDir: string;
  /** The files of `rulesDir` Prometheus evaluates. */
  ruleFiles: string[];
}

export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** How a running Prometheus is reached and stopped, whichever way it runs. */
interface Runtime {
  url: string;
  promtool(args: string[]): Promise<ToolRun>;
  stop(): Promise<void>;
}

/** Where a container reaches a port of this machine exposed with `TestContainers.exposeHostPorts`. */
const HOST_FROM_CONTAINER = 'host.testcontainers.internal';
const CONTAINER_RULES_DIR = '/etc/prometheus/rules';
const CONTAINER_CONFIG = '/etc/prometheus/prometheus.yml';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export class PrometheusServer {
  private constructor(
    private readonly runtime: Runtime,
    private readonly host: string,
    private readonly rulesDir: string,
    private readonly rulesSeenAs: string,
  ) {}

  static async start(options: PrometheusOptions): Promise<PrometheusServer> {
    const source = await findToolSource(PROMETHEUS);
    if (source.kind === 'missing') throw new Error(source.message);
    const inContainer = source.kind === 'container';
    const host = inContainer ? HOST_FROM_CONTAINER : '127.0.0.1';
    const rulesSeenAs = inContainer ? CONTAINER_RULES_DIR : options.rulesDir;
    const config = prometheusConfig(options, host, rulesSeenAs);
    const runtime = inContainer
      ? await startContainer(source.image, config, options)
      : await startBinary(config);
    return new PrometheusServer(runtime, host, options.rulesDir, rulesSeenAs);
  }

  get url(): string {
    return this.runtime.url;
  }

  /** The `instance` label of the target at `port` of this machine. */
  instance(port: number): string {
    return `${this.host}:${port}`;
  }

  /** Runs promtool; arguments naming files of the rules directory are passed as Prometheus sees them. */
  promtool(args: string[]): Promise<ToolRun> {
    const prefix = this.rulesDir + path.sep;
    return this.runtime.promtool(args.map((arg) => (arg.startsWith(prefix) ? path.posix.join(this.rulesSeenAs, arg.slice(prefix.length)) : arg)));
  }

  async api<T>(endpoint: string, params: Record<string, string>): Promise<T> {
    const response = await fetch(`${this.url}/api/v1/${endpoint}?${new URLSearchParams(params)}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${endpoint} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  async query(expr: string): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: PromSample[] }>('query', { query: expr });
    if (data.resultType !== 'vector') throw new Error(`expected an instant vector from ${expr}, got ${data.resultType}`);
    return data.result;
  }

  stop(): Promise<void> {
    return this.runtime.stop();
  }
}

function prometheusConfig(options: PrometheusOptions, host: string, rulesDir: string): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    ...options.ruleFiles.map((file) => `  - ${JSON.stringify(path.posix.join(rulesDir, file))}`),
    'scrape_configs:',
    ...options.jobs.flatMap((j) => [
      `  - job_name: ${j.job}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(j.ports.map((port) => `${host}:${port}`))}`,
      // Prometheus in Kubernetes adds the namespace; the dashboard's variables select on it.
      '        labels: { namespace: test }',
    ]),
  ].join('\n');
}

async function startBinary(config: string): Promise<Runtime> {
  const dir = mkdtempSync(path.join(tmpdir(), 'turbine-prometheus-'));
  writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pollUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${output.slice(-2000)}`);
        return fetch(`${url}/-/ready`).then((r) => r.status, () => 0);
      },
      (status) => status === 200,
      { timeoutMs: 15_000, intervalMs: 100, what: 'Prometheus ready' },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    promtool: async (args) => {
      const run = spawnSync('promtool', args, { encoding: 'utf8' });
      return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    },
    stop,
  };
}

/**
 * prom/prometheus in a container. The scrape targets listen on this machine's loopback, which a
 * container cannot reach as 127.0.0.1: `TestContainers.exposeHostPorts` forwards them (through
 * testcontainers' SSH sidecar) to `host.testcontainers.internal`, a name it adds to every
 * container started after it. promtool runs in the same container (`exec`).
 */
async function startContainer(image: string, config: string, options: PrometheusOptions): Promise<Runtime> {
  const { GenericContainer, TestContainers, Wait } = await import('testcontainers');
  await TestContainers.exposeHostPorts(...options.jobs.flatMap((j) => j.ports));
  const container = await new GenericContainer(image)
    .withCopyContentToContainer([{ content: config, target: CONTAINER_CONFIG, mode: 0o644 }])
    .withCopyDirectoriesToContainer([{ source: options.rulesDir, target: CONTAINER_RULES_DIR }])
    .withCommand([
      `--config.file=${CONTAINER_CONFIG}`,
      '--storage.tsdb.path=/prometheus',
      '--web.listen-address=0.0.0.0:9090',
      '--log.level=warn',
    ])
    .withExposedPorts(9090)
    .withWaitStrategy(Wait.forHttp('/-/ready', 9090))
    .start();
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(9090)}`,
    promtool: async (args) => {
      const run = await container.exec(['promtool', ...args]);
      return { status: run.exitCode, stdout: run.stdout, stderr: run.stderr };
    },
    stop: async () => {
      await container.stop();
    },
  };
}
