import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerfileParser, Entrypoint, type Copy, type Instruction } from 'dockerfile-ast';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { TaskDefinition } from '../../src/tasks/task.js';
import { PROBE_APP } from '../helpers/processes.js';
import { TestWorld } from '../helpers/worker.js';

/**
 * The container image without a Docker engine: the Dockerfile read as an AST, then the image's
 * entrypoint run directly — the same program with the same arguments, environment and
 * configuration file as the chart gives the container — against the test Redis.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const dockerfile = DockerfileParser.parse(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const FROMS = dockerfile.getFROMs();

/** The instructions of one stage: from its FROM to the next. */
function stage(index: number): Instruction[] {
  const start = FROMS[index]!.getRange().start.line;
  const end = FROMS[index + 1]?.getRange().start.line ?? Number.MAX_SAFE_INTEGER;
  return dockerfile.getInstructions().filter((i) => i.getRange().start.line > start && i.getRange().start.line < end);
}

const finalStage = (): Instruction[] => stage(FROMS.length - 1);
const keyword = (instructions: Instruction[], name: string): Instruction[] => instructions.filter((i) => i.getKeyword() === name);
const runs = (instructions: Instruction[]): string[] => keyword(instructions, 'RUN').map((i) => i.getArgumentsContent() ?? '');

function entrypoint(): string[] {
  const [instruction] = keyword(finalStage(), 'ENTRYPOINT');
  expect(instruction, 'the final stage has an ENTRYPOINT').toBeInstanceOf(Entrypoint);
  // The exec (JSON) form: the shell form would make /bin/sh PID 1, which does not forward SIGTERM.
  return (instruction as Entrypoint).getJSONStrings().map((s) => s.getJSONValue());
}

/** Where a command of the ENTRYPOINT leads: the target of the `ln -s` that put it on the PATH. */
function linkTarget(command: string): string {
  for (const run of runs(finalStage())) {
    const link = new RegExp(`ln -s (\\S+) /usr/local/bin/${command}(?:\\s|$)`).exec(run);
    if (link) return link[1]!;
  }
  throw new Error(`No 'ln -s … /usr/local/bin/${command}' in the final stage`);
}

describe('Dockerfile', () => {
  it('is multi-stage: a build stage that compiles, a final stage built from it', () => {
    expect(FROMS.length).toBeGreaterThanOrEqual(2);
    const build = stage(0);
    expect(FROMS[0]!.getBuildStage()).toBe('build');
    expect(runs(build)).toContain('npm ci --ignore-scripts');
    expect(runs(build)).toContain('npm run build');
    const fromBuild = keyword(finalStage(), 'COPY').filter((c) => (c as Copy).getFromFlag()?.getValue() === 'build');
    expect(fromBuild.map((c) => c.getArgumentsContent())).toEqual(['/src/dist/ dist/']);
  });

  it('installs only production dependencies in the final stage, without running the build', () => {
    const installs = runs(finalStage()).filter((r) => /\bnpm (ci|install|i)\b/.test(r));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev --ignore-scripts\b/);
    expect(runs(finalStage()).some((r) => /npm run build|tsc/.test(r))).toBe(false);
  });

  it('copies into the final stage only dist/, config/ and the package manifests', () => {
    const sources = keyword(finalStage(), 'COPY').flatMap((c) => {
      const args = c.getArguments().map((a) => a.getValue());
      return args.slice(0, -1).map((source) => ((c as Copy).getFromFlag() ? `build:${source}` : source));
    });
    expect(sources.sort()).toEqual(['build:/src/dist/', 'config/', 'package-lock.json', 'package.json']);
    for (const source of sources.filter((s) => !s.startsWith('build:'))) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
    expect(keyword(finalStage(), 'ADD')).toEqual([]);
  });

  it('runs as a numeric non-root user, behind tini, with turbine-worker as the ENTRYPOINT', () => {
    const users = keyword(finalStage(), 'USER').map((u) => u.getArgumentsContent());
    expect(users).toHaveLength(1);
    // Numeric, so that Kubernetes' runAsNonRoot can check it; the chart's runAsUser is the same.
    expect(users[0]).toMatch(/^[1-9]\d*(:\d+)?$/);
    const instructions = finalStage();
    const userLine = keyword(instructions, 'USER')[0]!.getRange().start.line;
    expect(keyword(instructions, 'RUN').every((r) => r.getRange().start.line < userLine), 'nothing runs as root after USER').toBe(true);
    expect(runs(instructions).some((r) => /apt-get install .*\btini\b/.test(r))).toBe(true);
    expect(entrypoint()).toEqual(['/usr/bin/tini', '--', 'turbine-worker']);
    expect(linkTarget('turbine-worker')).toBe('/app/dist/worker/main.js');
    // `kubectl exec deploy/<name> -- turbine tenant list` needs the CLI on the PATH too.
    expect(linkTarget('turbine')).toBe('/app/dist/cli/main.js');
  });

  it('leaves sources, dependencies and caches out of the build context (.dockerignore)', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules/', 'dist/', '.git/', '.cache/', 'test/', 'charts/']) expect(ignored).toContain(entry);
    // What the Dockerfile copies from the context must not be ignored.
    for (const needed of ['src/', 'config/', 'package.json', 'package-lock.json', 'tsconfig.json', 'scripts/build.mjs']) {
      expect(ignored).not.toContain(needed);
    }
  });
});

interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe("the image's entrypoint, run as the chart runs it", () => {
  let world: TestWorld;
  let scratch: string;
  let helm: string;
  let child: ReturnType<typeof spawn> | null = null;

  beforeAll(() => {
    helm = execFileSync(process.execPath, [path.join(ROOT, 'scripts/fetch-helm.mjs')], { encoding: 'utf8' }).trim();
  }, 300_000);
  afterEach(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await world?.close();
  });
  afterAll(() => scratch && rmSync(scratch, { recursive: true, force: true }));

  async function renderChart(set: string[]): Promise<Manifest[]> {
    const args = ['template', 'acme', path.join(ROOT, 'charts/turbine-worker'), ...set.flatMap((s) => ['--set', s])];
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(helm, args, (error, out, err) => (error ? reject(new Error(err)) : resolve(out))),
    );
    return parseAllDocuments(stdout).map((d) => d.toJS() as Manifest).filter(Boolean);
  }

  /** The container's environment, secretKeyRefs read from the rendered Secret; the Dockerfile's ENV first. */
  function containerEnv(container: IContainer, manifests: Manifest[]): Record<string, string> {
    const env: Record<string, string> = {};
    for (const instruction of keyword(finalStage(), 'ENV')) {
      const [name, value] = instruction.getArgumentsContent()!.split('=');
      env[name!] = value!;
    }
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = manifests.find((m) => m.kind === 'Secret' && m.metadata.name === ref.name)!;
        env[variable.name] = Buffer.from(secret.data![ref.key]!, 'base64').toString();
      } else env[variable.name] = variable.value ?? '';
    }
    return env;
  }

  /** The container's arguments, with the ConfigMap mounts' paths pointing at their files written here. */
  function containerArgs(deployment: IDeployment, container: IContainer, manifests: Manifest[]): string[] {
    let args = container.args ?? [];
    for (const mount of container.volumeMounts ?? []) {
      const volume = deployment.spec!.template.spec!.volumes!.find((v) => v.name === mount.name)!;
      if (!volume.configMap) continue;
      const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === volume.configMap!.name)!;
      const dir = path.join(scratch, mount.name);
      mkdirSync(dir, { recursive: true });
      for (const [key, text] of Object.entries(configMap.data!)) writeFileSync(path.join(dir, key), text);
      args = args.map((a) => (a.startsWith(`${mount.mountPath}/`) ? path.join(dir, a.slice(mount.mountPath.length + 1)) : a));
    }
    return args;
  }

  it('starts from the chart arguments, is healthy and ready, runs a task and exits 0 on SIGTERM', async () => {
    world = new TestWorld();
    scratch = mkdtempSync(path.join(tmpdir(), 'turbine-image-'));
    const port = await freePort();
    const manifests = await renderChart([
      `worker.app=${PROBE_APP}`,
      `redis.url=${world.url}`,
      `config.prefix=${world.prefix}`,
      'config.shutdownGraceMs=5000',
      `port=${port}`,
      'worker.queues={work}',
    ]);
    const deployment = manifests.find((m) => m.kind === 'Deployment') as unknown as IDeployment;
    const container = deployment.spec!.template.spec!.containers[0]!;

    // ENTRYPOINT tini -- turbine-worker; turbine-worker is the link to /app/dist/worker/main.js.
    const [, separator, command] = entrypoint();
    expect(separator).toBe('--');
    const workdir = keyword(finalStage(), 'WORKDIR').at(-1)!.getArgumentsContent()!;
    const program = path.join(ROOT, path.relative(workdir, linkTarget(command!)));
    expect(program).toBe(path.join(ROOT, 'dist/worker/main.js'));
    const args = containerArgs(deployment, container, manifests);
    expect(args).toContain('--config');
    const env = containerEnv(container, manifests);
    expect(env).toMatchObject({ TURBINE_BACKEND_URL: world.url, TURBINE_PREFIX: world.prefix, NODE_ENV: 'production' });

    const proc = spawn(process.execPath, [program, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const logs: string[] = [];
    const consuming = new Promise<void>((resolve, reject) => {
      let buffer = '';
      const onData = (chunk: Buffer): void => {
        buffer += chunk.toString();
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          logs.push(line);
          if (line.includes('"msg":"consuming"')) resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      void exited.then((code) => reject(new Error(`worker exited (${code}):\n${logs.join('\n')}`)));
    });
    await consuming;

    const get = async (route: string): Promise<{ status: number; body: string }> => {
      const response = await fetch(`http://127.0.0.1:${port}${route}`);
      return { status: response.status, body: await response.text() };
    };
    expect([container.livenessProbe?.httpGet?.path, container.readinessProbe?.httpGet?.path]).toEqual(['/healthz', '/readyz']);
    expect(await get(container.livenessProbe!.httpGet!.path!)).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect(await get(container.readinessProbe!.httpGet!.path!)).toEqual({ status: 200, body: '{"status":"ready"}' });
    expect((await get('/metrics')).body).toMatch(/^turbine_worker_ready(\{[^}]*\})? 1$/m);

    // The chart's prefix and Redis reach the worker: a task submitted under them runs.
    await world.manager.createTenant({ tenantId: 'acme', name: 'ACME' });
    const record = world.app.task({ name: 'record', queue: 'work', retries: 0 }, async (id: string, _sleepMs: number) => id) as TaskDefinition<[string, number], string>;
    const result = await record.applyAsync({ args: ['image-1', 10], tenantId: 'acme' });
    expect(await result.get({ timeoutMs: 15_000 })).toBe('image-1');

    proc.kill('SIGTERM');
    expect(await exited, logs.slice(-5).join('\n')).toBe(0);
    expect(logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});
