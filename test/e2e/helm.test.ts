import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Deployment } from 'kubernetes-models/apps/v1';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IService } from 'kubernetes-models/v1/Service';
import { ConfigMap, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, parse as parseYaml, parseAllDocuments, parseDocument, type Pair, type YAMLMap } from 'yaml';
import { loadConfig } from '../../src/config/load.js';

/**
 * The Helm chart through the real `helm` binary (scripts/fetch-helm.mjs): lint, template of the
 * default values and of every ci/*-values.yaml scenario, each manifest validated against the
 * Kubernetes schemas (kubernetes-models), and the wiring that matters checked by hand.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = path.join(ROOT, 'charts/turbine-worker');
const RELEASE = 'acme';
const NAMESPACE = 'jobs';
const FULLNAME = `${RELEASE}-turbine-worker`;
const GROUP_LABEL = 'turbine/worker-group';
const MONITORING = ['--api-versions', 'monitoring.coreos.com/v1'];

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}
interface ConfigMapManifest extends Manifest {
  data: Record<string, string>;
}
interface SecretManifest extends Manifest {
  data: Record<string, string>;
}
interface HelmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

let helm: string;
const scratch = mkdtempSync(path.join(tmpdir(), 'turbine-helm-'));

beforeAll(() => {
  helm = execFileSync(process.execPath, [path.join(ROOT, 'scripts/fetch-helm.mjs')], { encoding: 'utf8' }).trim();
}, 300_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function runHelm(args: string[]): Promise<HelmRun> {
  return new Promise((resolve) => {
    execFile(helm, args, { maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const ci = (name: string): string => path.join(CHART, 'ci', `${name}-values.yaml`);

function valuesFile(name: string, text: string): string {
  const file = path.join(scratch, name);
  writeFileSync(file, text);
  return file;
}

function valueArgs(files: string[], set: string[]): string[] {
  return [...files.flatMap((f) => ['-f', f]), ...set.flatMap((s) => ['--set', s])];
}

/** `helm template`, parsed: every document of the output that is not empty. */
async function render(files: string[] = [], set: string[] = [], extra: string[] = [], release = RELEASE): Promise<Manifest[]> {
  const run = await runHelm(['template', release, CHART, '--namespace', NAMESPACE, ...valueArgs(files, set), ...extra]);
  expect(run.code, run.stderr).toBe(0);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

function ofKind<T>(manifests: Manifest[], kind: string): (T & Manifest)[] {
  return manifests.filter((m) => m.kind === kind) as (T & Manifest)[];
}

function one<T>(manifests: Manifest[], kind: string): T & Manifest {
  const found = ofKind<T>(manifests, kind);
  expect(found.map((m) => m.metadata.name), kind).toHaveLength(1);
  return found[0]!;
}

const kinds = (manifests: Manifest[]): string[] => manifests.map((m) => m.kind).sort();

/** Every key of the selector has that value among the labels (how Kubernetes selects). */
function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  expect(selector && Object.keys(selector).length, 'an empty selector selects everything').toBeTruthy();
  return Object.entries(selector!).every(([key, value]) => labels?.[key] === value);
}

const workerContainer = (d: IDeployment): IContainer => d.spec!.template.spec!.containers.find((c) => c.name === 'worker')!;

/** The value after a flag in the container's arguments. */
function arg(container: IContainer, flag: string): string | undefined {
  const args = container.args ?? [];
  const at = args.indexOf(flag);
  return at >= 0 ? args[at + 1] : undefined;
}

type ModelClass = new (data: never) => { validate(): void };
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** Validates a manifest against the Kubernetes schema of its kind, or the operator CRD's shape. */
function validate(manifest: Manifest): void {
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  expect(manifest.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  expect(manifest.metadata.name.length).toBeLessThanOrEqual(63);
  expect(manifest.metadata.labels).toMatchObject({
    'app.kubernetes.io/name': 'turbine-worker',
    'app.kubernetes.io/instance': expect.any(String),
    'app.kubernetes.io/managed-by': 'Helm',
    'helm.sh/chart': expect.stringMatching(/^turbine-worker-/),
  });
  if (key === 'monitoring.coreos.com/v1/ServiceMonitor') return checkServiceMonitorShape(manifest);
  if (key === 'monitoring.coreos.com/v1/PrometheusRule') return checkPrometheusRuleShape(manifest);
  const Model = MODELS[key];
  expect(Model, `a Kubernetes schema for ${key}`).toBeDefined();
  try {
    new Model!(manifest as never).validate();
  } catch (error) {
    throw new Error(`${key} ${manifest.metadata.name} does not match the Kubernetes schema: ${(error as Error).message}`, { cause: error });
  }
}

/** No model exists for the prometheus-operator CRDs: their required shape, checked by hand. */
function checkServiceMonitorShape(manifest: Manifest): void {
  const spec = manifest.spec as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; interval?: string }[] };
  expect(Object.keys(spec.selector.matchLabels).length).toBeGreaterThan(0);
  expect(spec.endpoints.length).toBeGreaterThan(0);
  for (const endpoint of spec.endpoints) {
    expect(typeof endpoint.port).toBe('string');
    expect(endpoint.path).toMatch(/^\//);
    if (endpoint.interval) expect(endpoint.interval).toMatch(/^(\d+(ms|s|m|h))+$/);
  }
}

function checkPrometheusRuleShape(manifest: Manifest): void {
  const spec = manifest.spec as { groups: { name: string; rules: { alert?: string; record?: string; expr: string; for?: string; labels?: object }[] }[] };
  expect(spec.groups.length).toBeGreaterThan(0);
  for (const group of spec.groups) {
    expect(typeof group.name).toBe('string');
    expect(group.rules.length).toBeGreaterThan(0);
    for (const rule of group.rules) {
      expect(typeof (rule.alert ?? rule.record)).toBe('string');
      expect(typeof rule.expr).toBe('string');
      if (rule.for) expect(rule.for).toMatch(/^(\d+(ms|s|m|h|d|w|y))+$/);
    }
  }
}

/** The worker would accept the configuration file the chart writes into its ConfigMap. */
function checkConfigFile(manifests: Manifest[]): ReturnType<typeof loadConfig> {
  const configMap = ofKind<ConfigMapManifest>(manifests, 'ConfigMap').find((c) => c.metadata.name === FULLNAME)!;
  const file = path.join(scratch, `config-${createHash('sha1').update(configMap.data['config.yaml']!).digest('hex')}.yaml`);
  writeFileSync(file, configMap.data['config.yaml']!);
  return loadConfig({ file, env: {}, flags: {} });
}

describe('the Kubernetes schema check', () => {
  it('rejects what the API server would (so that a pass means something)', () => {
    const container = { name: 'worker', image: 'x', livenessProbe: { httpGet: { path: '/healthz' } } };
    const broken = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { 'app.kubernetes.io/name': 'turbine-worker', 'app.kubernetes.io/instance': 'x', 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': 'turbine-worker-0' } },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [container] } } },
    };
    expect(() => validate(broken)).toThrow(/httpGet must have required property port/);
  });
});

describe('helm lint', () => {
  it('passes --strict with the default values and with every ci scenario', async () => {
    const scenarios = readdirSync(path.join(CHART, 'ci')).filter((f) => f.endsWith('-values.yaml'));
    expect(scenarios.length).toBeGreaterThanOrEqual(5);
    for (const values of [[], ...scenarios.map((f) => [path.join(CHART, 'ci', f)])]) {
      const run = await runHelm(['lint', '--strict', CHART, ...valueArgs(values, [])]);
      expect(run.code, `${values.join(' ')}\n${run.stdout}${run.stderr}`).toBe(0);
    }
  });

  it('fails on a values file of the wrong type or with an unknown key (values.schema.json)', async () => {
    const cases: [string, string, RegExp][] = [
      ['wrong-type.yaml', 'worker:\n  concurrency: fifty\n', /\/worker\/concurrency.*got string, want integer/s],
      ['unknown-top.yaml', 'replicaCount: 3\n', /additional properties 'replicaCount' not allowed/],
      ['unknown-config.yaml', 'config:\n  concurrency: 5\n', /\/config.*additional properties 'concurrency' not allowed/s],
      ['bad-config-type.yaml', 'config:\n  shutdownGraceMs: soon\n', /\/config\/shutdownGraceMs.*want integer/s],
      ['bad-queue.yaml', 'worker:\n  queues: ["a:b"]\n', /\/worker\/queues\/0/],
      ['bad-pool.yaml', 'workerGroups:\n  - name: gold\n    pool: "gold@eu"\n', /\/workerGroups\/0\/pool/],
      ['bad-group.yaml', 'workerGroups:\n  - name: Emails_1\n', /\/workerGroups\/0\/name/],
      ['unnamed-group.yaml', 'workerGroups:\n  - queues: [emails]\n', /missing propert.*name/s],
      ['bad-service-monitor.yaml', 'serviceMonitor:\n  enabled: "yes"\n', /\/serviceMonitor\/enabled.*want boolean/s],
    ];
    for (const [name, text, message] of cases) {
      const values = valuesFile(name, text);
      const lint = await runHelm(['lint', '--strict', CHART, '-f', values]);
      expect(lint.code, name).not.toBe(0);
      expect(`${lint.stdout}${lint.stderr}`, name).toMatch(message);
      const template = await runHelm(['template', RELEASE, CHART, '-f', values]);
      expect(template.code, name).not.toBe(0);
      expect(template.stderr, name).toMatch(message);
    }
  });
});

describe('Chart.yaml and values.yaml', () => {
  it('is apiVersion v2 with appVersion = the package version', () => {
    const chart = parseYaml(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; appVersion: string; name: string };
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'turbine-worker', appVersion: pkg.version });
  });

  it('documents every value with a "# --" comment (a section may document its children at once)', () => {
    const doc = parseDocument(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
    const undocumented: string[] = [];
    const walk = (map: YAMLMap, prefix: string): void => {
      map.items.forEach((pair: Pair, index) => {
        const key = `${prefix}${String((pair.key as { value: unknown }).value)}`;
        // The comment above a map's first key is kept on the map by the parser.
        const comment = (pair.key as { commentBefore?: string }).commentBefore ?? (index === 0 ? map.commentBefore : undefined) ?? '';
        if (/^ ?-- /m.test(comment)) return;
        if (isMap(pair.value) && pair.value.items.length > 0) walk(pair.value, `${key}.`);
        else undocumented.push(key);
      });
    };
    walk(doc.contents as YAMLMap, '');
    expect(undocumented).toEqual([]);
    expect(doc.errors).toEqual([]);
  });
});

describe('helm template with the default values', () => {
  let manifests: Manifest[];
  let deployment: IDeployment & Manifest;
  let worker: IContainer;
  beforeAll(async () => {
    manifests = await render();
    deployment = one<IDeployment>(manifests, 'Deployment');
    worker = workerContainer(deployment);
  });

  it('renders valid Kubernetes objects, and no optional ones', () => {
    expect(kinds(manifests)).toEqual(['ConfigMap', 'Deployment', 'Pod', 'Secret', 'Service', 'ServiceAccount']);
    for (const manifest of manifests) validate(manifest);
    expect(manifests.every((m) => m.metadata.namespace === NAMESPACE)).toBe(true);
    expect(deployment.metadata.name).toBe(FULLNAME);
    expect(deployment.metadata.labels?.[GROUP_LABEL]).toBe('default');
  });

  it('probes /healthz (liveness, startup) and /readyz (readiness) on the health port', () => {
    const port = worker.ports!.find((p) => p.name === 'http-metrics')!;
    expect(port.containerPort).toBe(9464);
    expect(arg(worker, '--health-port')).toBe('9464');
    expect(worker.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(worker.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(worker.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
  });

  it('runs as non-root with a read-only root filesystem, no capabilities, RuntimeDefault seccomp and no API token', () => {
    const pod = deployment.spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(worker.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(one<{ automountServiceAccountToken?: boolean }>(manifests, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(FULLNAME);
    // A writable /tmp, since the root filesystem is not.
    expect(worker.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(worker.resources?.limits?.memory).toBeDefined();
  });

  it('passes --app, --pool, --concurrency, --log-level and --config; no --queues when none are listed', () => {
    expect(arg(worker, '--app')).toBe('/app/tasks/index.js');
    expect(arg(worker, '--pool')).toBe('shared');
    expect(arg(worker, '--concurrency')).toBe('10');
    expect(arg(worker, '--log-level')).toBe('info');
    expect(worker.args).not.toContain('--queues');
    // No command: the image's ENTRYPOINT (tini -- turbine-worker) runs with these arguments.
    expect(worker.command).toBeUndefined();
    expect(deployment.spec!.template.spec!.containers[0]!.image).toBe('ghcr.io/turbine/turbine-worker:0.1.0');
  });

  it('mounts the ConfigMap where --config points, with a file the worker accepts', () => {
    const configPath = arg(worker, '--config')!;
    const mount = worker.volumeMounts!.find((m) => configPath.startsWith(`${m.mountPath}/`))!;
    expect(mount.readOnly).toBe(true);
    const volume = deployment.spec!.template.spec!.volumes!.find((v) => v.name === mount.name)!;
    expect(volume.configMap?.name).toBe(FULLNAME);
    const configMap = ofKind<ConfigMapManifest>(manifests, 'ConfigMap').find((c) => c.metadata.name === FULLNAME)!;
    expect(Object.keys(configMap.data)).toEqual([path.posix.basename(configPath)]);
    const { config, sources } = checkConfigFile(manifests);
    expect(config).toMatchObject({ prefix: 'turbine', shutdownGraceMs: 30_000 });
    expect(sources.backendUrl).toBe('default');
  });

  it('reads the Redis URL from the Secret it renders, and exports the prefix for `turbine` commands', () => {
    const secret = one<SecretManifest>(manifests, 'Secret');
    const env = worker.env!.find((e) => e.name === 'TURBINE_BACKEND_URL')!;
    expect(env.valueFrom?.secretKeyRef).toEqual({ name: secret.metadata.name, key: 'redis-url' });
    expect(Buffer.from(secret.data['redis-url']!, 'base64').toString()).toBe('redis://redis-master:6379');
    expect(worker.env).toContainEqual({ name: 'TURBINE_PREFIX', value: 'turbine' });
  });

  it('gives the worker longer than its shutdown grace before SIGKILL', () => {
    const grace = deployment.spec!.template.spec!.terminationGracePeriodSeconds!;
    expect(grace).toBe(45);
    expect(grace * 1000).toBeGreaterThan(checkConfigFile(manifests).config.shutdownGraceMs);
  });

  it('selects its own pods, and the Service selects them on the metrics port', () => {
    const podLabels = deployment.spec!.template.metadata!.labels!;
    expect(selects(deployment.spec!.selector.matchLabels, podLabels)).toBe(true);
    const service = one<IService>(manifests, 'Service');
    expect(selects(service.spec!.selector, podLabels)).toBe(true);
    expect(service.spec!.ports).toEqual([{ name: 'http-metrics', port: 9464, targetPort: 'http-metrics', protocol: 'TCP' }]);
    // A worker cut off from Redis is not ready, and must still be scraped.
    expect(service.spec!.publishNotReadyAddresses).toBe(true);
  });

  it('ships a helm test Pod that lists tenants with the same Secret and prefix', () => {
    const pod = one<IPod>(manifests, 'Pod');
    expect(pod.metadata!.annotations?.['helm.sh/hook']).toBe('test');
    const container = pod.spec!.containers[0]!;
    expect([...(container.command ?? []), ...(container.args ?? [])]).toEqual(['turbine', 'tenant', 'list']);
    expect(container.env).toEqual(worker.env!.filter((e) => e.name.startsWith('TURBINE_')));
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(pod.spec!.restartPolicy).toBe('Never');
    // Not a worker: the Service must not send scrapes to it.
    expect(selects(one<IService>(manifests, 'Service').spec!.selector, pod.metadata!.labels)).toBe(false);
  });
});

describe('checksum annotations', () => {
  const annotations = async (set: string[]): Promise<Record<string, string>> =>
    one<IDeployment>(await render([], set), 'Deployment').spec!.template.metadata!.annotations!;

  it('change with the configuration and the rendered Secret, and only with them', async () => {
    const base = await annotations([]);
    expect(base['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    expect(base['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
    const config = await annotations(['config.lockDurationMs=60000']);
    expect(config['checksum/config']).not.toBe(base['checksum/config']);
    expect(config['checksum/secret']).toBe(base['checksum/secret']);
    const secret = await annotations(['redis.url=redis://:pw@other:6379']);
    expect(secret['checksum/secret']).not.toBe(base['checksum/secret']);
    expect(secret['checksum/config']).toBe(base['checksum/config']);
    expect(await annotations(['worker.replicas=3'])).toEqual(base);
  });
});

describe('scenario: existing Secret (ci/existing-secret-values.yaml)', () => {
  let manifests: Manifest[];
  let worker: IContainer;
  let deployment: IDeployment & Manifest;
  beforeAll(async () => {
    manifests = await render([ci('existing-secret')]);
    deployment = one<IDeployment>(manifests, 'Deployment');
    worker = workerContainer(deployment);
  });

  it('renders no Secret and reads the URL from the existing one, in the workers and the test Pod', () => {
    for (const manifest of manifests) validate(manifest);
    expect(ofKind(manifests, 'Secret')).toEqual([]);
    const ref = { name: 'shared-redis', key: 'url' };
    expect(worker.env!.find((e) => e.name === 'TURBINE_BACKEND_URL')!.valueFrom?.secretKeyRef).toEqual(ref);
    const testPod = one<IPod>(manifests, 'Pod');
    expect(testPod.spec!.containers[0]!.env!.find((e) => e.name === 'TURBINE_BACKEND_URL')!.valueFrom?.secretKeyRef).toEqual(ref);
    // Nothing to checksum: rotating an existing Secret needs `kubectl rollout restart`.
    expect(deployment.spec!.template.metadata!.annotations!['checksum/secret']).toBeUndefined();
  });

  it('passes the group settings and writes the configuration the worker accepts', () => {
    expect(arg(worker, '--app')).toBe('/app/tasks/main.js');
    expect(arg(worker, '--queues')).toBe('default');
    expect(arg(worker, '--concurrency')).toBe('25');
    expect(arg(worker, '--log-level')).toBe('debug');
    expect(worker.env).toContainEqual({ name: 'SMTP_HOST', value: 'smtp.example.com' });
    expect(worker.env).toContainEqual({ name: 'TURBINE_PREFIX', value: '{turbine}' });
    expect(deployment.spec!.template.metadata!.annotations!['example.com/team']).toBe('payments');
    const { config } = checkConfigFile(manifests);
    expect(config).toMatchObject({ prefix: '{turbine}', shutdownGraceMs: 120_000, lockDurationMs: 60_000, dispatch: { windowFactor: 3 } });
  });

  it('keeps a terminationGracePeriodSeconds that is longer than the shutdown grace', () => {
    expect(deployment.spec!.template.spec!.terminationGracePeriodSeconds).toBe(150);
  });
});

describe('terminationGracePeriodSeconds', () => {
  const grace = async (set: string[]): Promise<number> =>
    one<IDeployment>(await render([], set), 'Deployment').spec!.template.spec!.terminationGracePeriodSeconds!;

  it('is derived from config.shutdownGraceMs (rounded up) plus the margin', async () => {
    expect(await grace(['config.shutdownGraceMs=120500'])).toBe(121 + 15);
    expect(await grace(['config.shutdownGraceMs=0', 'worker.terminationGraceExtraSeconds=5'])).toBe(5);
  });

  it('refuses a value that would cut the shutdown grace short', async () => {
    const run = await runHelm(['template', RELEASE, CHART, '--set', 'config.shutdownGraceMs=60000', '--set', 'worker.terminationGracePeriodSeconds=60']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/terminationGracePeriodSeconds \(60\) must be longer than config\.shutdownGraceMs \(60000 ms\)/);
  });
});

describe('scenario: two worker groups (ci/worker-groups-values.yaml)', () => {
  let manifests: Manifest[];
  let deployments: (IDeployment & Manifest)[];
  beforeAll(async () => {
    manifests = await render([ci('worker-groups')]);
    deployments = ofKind<IDeployment>(manifests, 'Deployment');
  });
  const group = (name: string): IDeployment & Manifest => deployments.find((d) => d.metadata.labels?.[GROUP_LABEL] === name)!;

  it('renders one valid Deployment per group', () => {
    for (const manifest of manifests) validate(manifest);
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([`${FULLNAME}-emails`, `${FULLNAME}-processing`]);
  });

  it("gives each Deployment a selector that matches its own pods and not the other group's", () => {
    const [emails, processing] = [group('emails'), group('processing')];
    const labels = (d: IDeployment): Record<string, string> => d.spec!.template.metadata!.labels!;
    expect(selects(emails.spec!.selector.matchLabels, labels(emails))).toBe(true);
    expect(selects(processing.spec!.selector.matchLabels, labels(processing))).toBe(true);
    expect(selects(emails.spec!.selector.matchLabels, labels(processing))).toBe(false);
    expect(selects(processing.spec!.selector.matchLabels, labels(emails))).toBe(false);
    const service = one<IService>(manifests, 'Service');
    for (const d of deployments) expect(selects(service.spec!.selector, labels(d))).toBe(true);
    // Extra pod labels are added, the selector's are untouched.
    expect(labels(processing).tier).toBe('batch');
  });

  it("passes each group's queues comma-joined, its pool, concurrency and log level", () => {
    const emails = workerContainer(group('emails'));
    const processing = workerContainer(group('processing'));
    expect([arg(emails, '--pool'), arg(processing, '--pool')]).toEqual(['shared', 'premium']);
    expect([arg(emails, '--queues'), arg(emails, '--concurrency'), arg(emails, '--log-level')]).toEqual(['emails', '50', 'info']);
    expect([arg(processing, '--queues'), arg(processing, '--concurrency'), arg(processing, '--log-level')]).toEqual([
      'processing,reports',
      '10',
      'warn',
    ]);
    expect(group('emails').spec!.replicas).toBe(3);
    expect(group('processing').spec!.replicas).toBe(1);
    expect(workerContainer(group('emails')).image).toBe('ghcr.io/turbine/turbine-worker:0.1.0-rc.1');
  });

  it('applies per-group scheduling and resources, over the worker defaults', () => {
    const emails = group('emails').spec!.template.spec!;
    const processing = group('processing').spec!.template.spec!;
    expect(emails.topologySpreadConstraints![0]!.labelSelector?.matchLabels).toEqual(group('emails').spec!.selector.matchLabels);
    expect(processing.nodeSelector).toEqual({ workload: 'batch' });
    expect(processing.tolerations).toEqual([{ key: 'batch', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(workerContainer(group('processing')).resources).toEqual({ requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } });
    expect(workerContainer(group('emails')).resources?.requests).toEqual({ cpu: '100m', memory: '128Mi' });
    // Settings not overridden still come from `worker`.
    expect(emails.securityContext?.runAsNonRoot).toBe(true);
  });

  it('refuses two groups with the same name', async () => {
    const run = await runHelm(['template', RELEASE, CHART, '-f', valuesFile('dup.yaml', 'workerGroups:\n  - name: a\n  - name: a\n')]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/the name "a" is used twice/);
  });
});

describe('scenario: monitoring (ci/monitoring-values.yaml)', () => {
  const rulesFile = path.join(CHART, 'rules/turbine-alerts.yaml');
  const dashboardFiles = (): string[] => readdirSync(path.join(CHART, 'dashboards')).filter((f) => f.endsWith('.json'));

  it('creates neither ServiceMonitor nor PrometheusRule when the CRDs are not installed', async () => {
    const manifests = await render([ci('monitoring')]);
    expect(ofKind(manifests, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(manifests, 'PrometheusRule')).toEqual([]);
  });

  it('creates neither when the CRDs are installed but they are disabled', async () => {
    const manifests = await render([], [], MONITORING);
    expect(kinds(manifests)).not.toContain('ServiceMonitor');
    expect(kinds(manifests)).not.toContain('PrometheusRule');
  });

  it('scrapes the Service: the ServiceMonitor selects it and names its port', async () => {
    const manifests = await render([ci('monitoring')], [], MONITORING);
    for (const manifest of manifests) validate(manifest);
    const monitor = one<{ spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string; interval: string }[] } }>(
      manifests,
      'ServiceMonitor',
    );
    const service = one<IService>(manifests, 'Service');
    expect(selects(monitor.spec.selector.matchLabels, service.metadata!.labels)).toBe(true);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: service.spec!.ports![0]!.name, path: '/metrics', interval: '15s' })]);
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('ships the alert groups of rules/turbine-alerts.yaml unchanged', async () => {
    const manifests = await render([ci('monitoring')], [], MONITORING);
    const rule = one<{ spec: { groups: unknown[] } }>(manifests, 'PrometheusRule');
    const source = parseYaml(readFileSync(rulesFile, 'utf8')) as { groups: unknown[] };
    expect(rule.spec.groups).toEqual(source.groups);
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('points the runbook links at prometheusRule.runbookBaseUrl', async () => {
    const base = 'https://docs.example.com/turbine/alerts.md';
    const manifests = await render([ci('monitoring')], [`prometheusRule.runbookBaseUrl=${base}`], MONITORING);
    const rule = one<{ spec: { groups: { rules: { annotations?: { runbook_url?: string } }[] }[] } }>(manifests, 'PrometheusRule');
    const links = rule.spec.groups.flatMap((g) => g.rules).map((r) => r.annotations?.runbook_url);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(new RegExp(`^${base.replace(/\./g, '\\.')}#turbine`));
  });

  it('ships every dashboards/*.json in a ConfigMap labelled grafana_dashboard: "1"', async () => {
    const manifests = await render([ci('monitoring')], [], MONITORING);
    const dashboards = ofKind<ConfigMapManifest>(manifests, 'ConfigMap').find((c) => c.metadata.labels?.grafana_dashboard === '1')!;
    expect(dashboards.metadata.annotations?.grafana_folder).toBe('Turbine');
    expect(Object.keys(dashboards.data).sort()).toEqual(dashboardFiles().sort());
    for (const name of dashboardFiles()) {
      expect(JSON.parse(dashboards.data[name]!)).toEqual(JSON.parse(readFileSync(path.join(CHART, 'dashboards', name), 'utf8')));
    }
  });
});

describe('scenario: autoscaling and disruption budgets (ci/autoscaling-values.yaml)', () => {
  let manifests: Manifest[];
  beforeAll(async () => {
    manifests = await render([ci('autoscaling')]);
  });

  it('scales the group that enables it, with the shared bounds and targets, on CPU and on waiting tasks', () => {
    for (const manifest of manifests) validate(manifest);
    const deployments = ofKind<IDeployment>(manifests, 'Deployment');
    const emails = deployments.find((d) => d.metadata.name === `${FULLNAME}-emails`)!;
    const processing = deployments.find((d) => d.metadata.name === `${FULLNAME}-processing`)!;
    const hpa = one<IHorizontalPodAutoscaler>(manifests, 'HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: emails.metadata.name });
    // The HPA owns the replica count of its Deployment; the other keeps its own.
    expect(emails.spec!.replicas).toBeUndefined();
    expect(processing.spec!.replicas).toBe(4);
    // `autoscaling: { enabled: true }` in the group kept the worker's bounds, targets and behavior.
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 20, behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } });
    expect(hpa.spec!.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
      {
        type: 'External',
        external: { metric: { name: 'turbine_queue_tasks', selector: { matchLabels: { state: 'waiting' } } }, target: { type: 'AverageValue', averageValue: '100' } },
      },
    ]);
  });

  it('gives each group a PodDisruptionBudget that selects exactly its pods', () => {
    const deployments = ofKind<IDeployment>(manifests, 'Deployment');
    const pdbs = ofKind<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(2);
    for (const pdb of pdbs) {
      const matching = deployments.filter((d) => selects(pdb.spec!.selector!.matchLabels, d.spec!.template.metadata!.labels));
      expect(matching.map((d) => d.metadata.name)).toEqual([pdb.metadata.name]);
    }
    expect(pdbs.find((p) => p.metadata.name.endsWith('-processing'))!.spec).toMatchObject({ minAvailable: '50%' });
    expect(pdbs.find((p) => p.metadata.name.endsWith('-emails'))!.spec).toMatchObject({ maxUnavailable: 1 });
  });

  it('refuses autoscaling without any target', async () => {
    const run = await runHelm(['template', RELEASE, CHART, '--set', 'worker.autoscaling.enabled=true', '--set', 'worker.autoscaling.targetCPUUtilizationPercentage=null']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/autoscaling needs a target/);
  });
});

describe('scenario: NetworkPolicy (ci/networkpolicy-values.yaml)', () => {
  it('covers the workers and the test Pod: metrics in, DNS and Redis out', async () => {
    const manifests = await render([ci('networkpolicy')]);
    for (const manifest of manifests) validate(manifest);
    const policy = one<INetworkPolicy>(manifests, 'NetworkPolicy');
    const deployment = one<IDeployment>(manifests, 'Deployment');
    expect(selects(policy.spec!.podSelector.matchLabels, deployment.spec!.template.metadata!.labels)).toBe(true);
    expect(selects(policy.spec!.podSelector.matchLabels, one<IPod>(manifests, 'Pod').metadata!.labels)).toBe(true);
    expect(policy.spec!.ingress).toEqual([
      { ports: [{ port: 'http-metrics', protocol: 'TCP' }], from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
    ]);
    const egress = policy.spec!.egress!;
    expect(egress[0]!.ports).toContainEqual({ port: 53, protocol: 'UDP' });
    expect(egress[1]).toEqual({
      ports: [{ port: 6379, protocol: 'TCP' }],
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } } }],
    });
    expect(egress).toHaveLength(3);
  });
});

describe('web console (ui.enabled)', () => {
  it('runs `turbine ui` in its own Deployment and Service, with the Redis Secret, prefix and token, apart from the workers', async () => {
    const manifests = await render([], ['ui.enabled=true', 'ui.tokenSecret=console-token']);
    for (const manifest of manifests) validate(manifest);
    const deployments = ofKind<IDeployment>(manifests, 'Deployment');
    const ui = deployments.find((d) => d.metadata.name === `${FULLNAME}-ui`)!;
    const worker = deployments.find((d) => d.metadata.name === FULLNAME)!;
    const container = ui.spec!.template.spec!.containers[0]!;
    expect([...container.command!, ...container.args!]).toEqual(['/usr/bin/tini', '--', 'turbine', 'ui', '--host', '0.0.0.0', '--port', '9470', '--refresh-ms', '2000']);
    expect(container.env).toEqual([
      ...workerContainer(worker).env!.filter((e) => e.name.startsWith('TURBINE_')),
      { name: 'TURBINE_UI_TOKEN', valueFrom: { secretKeyRef: { name: 'console-token', key: 'token' } } },
    ]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http-ui' });
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    const uiLabels = ui.spec!.template.metadata!.labels;
    expect(selects(ui.spec!.selector.matchLabels, uiLabels)).toBe(true);
    // Neither selects the other's pods.
    expect(selects(ui.spec!.selector.matchLabels, worker.spec!.template.metadata!.labels)).toBe(false);
    expect(selects(worker.spec!.selector.matchLabels, uiLabels)).toBe(false);
    const services = ofKind<IService>(manifests, 'Service');
    const uiService = services.find((s) => s.metadata.name === `${FULLNAME}-ui`)!;
    expect(selects(uiService.spec!.selector, uiLabels)).toBe(true);
    expect(uiService.spec!.ports).toEqual([{ name: 'http-ui', port: 9470, targetPort: 'http-ui', protocol: 'TCP' }]);
    expect(selects(services.find((s) => s.metadata.name === FULLNAME)!.spec!.selector, uiLabels)).toBe(false);
  });

  it('is read-only without a token Secret, and the NetworkPolicy lets browsers reach it', async () => {
    const manifests = await render([ci('networkpolicy')], ['ui.enabled=true']);
    const ui = ofKind<IDeployment>(manifests, 'Deployment').find((d) => d.metadata.name === `${FULLNAME}-ui`)!;
    expect(ui.spec!.template.spec!.containers[0]!.env!.map((e) => e.name)).not.toContain('TURBINE_UI_TOKEN');
    const policy = one<INetworkPolicy>(manifests, 'NetworkPolicy');
    expect(selects(policy.spec!.podSelector.matchLabels, ui.spec!.template.metadata!.labels)).toBe(true);
    expect(policy.spec!.ingress).toContainEqual({ ports: [{ port: 'http-ui', protocol: 'TCP' }] });
  });
});

describe('names', () => {
  it('stay DNS labels of at most 63 characters for a long release name', async () => {
    // 53 characters, the longest release name Helm accepts.
    const release = `a-very-long-release-name-of-a-team-${'x'.repeat(18)}`;
    const manifests = await render([ci('worker-groups')], [], [], release);
    for (const manifest of manifests) validate(manifest);
    const names = ofKind<IDeployment>(manifests, 'Deployment').map((d) => d.metadata.name);
    // The release part is cut, never the group's name, so the two stay apart.
    expect(names).toEqual([expect.stringMatching(/^a-very-long-.*-emails$/), expect.stringMatching(/^a-very-long-.*-processing$/)]);
  });
});

describe('NOTES.txt', () => {
  it("gives kubectl commands that select the release's worker pods and name its Deployments", async () => {
    for (const [values, set] of [[[], []], [[ci('worker-groups')], []]] as [string[], string[]][]) {
      const run = await runHelm(['install', RELEASE, CHART, '--dry-run=client', '--namespace', NAMESPACE, ...valueArgs(values, set)]);
      expect(run.code, run.stderr).toBe(0);
      const notes = run.stdout.slice(run.stdout.indexOf('NOTES:'));
      const manifests = parseAllDocuments(run.stdout.slice(0, run.stdout.indexOf('NOTES:')))
        .map((d) => d.toJS() as Manifest | null)
        .filter((m): m is Manifest => m !== null && typeof m === 'object' && 'kind' in m);
      const deployments = ofKind<IDeployment>(manifests, 'Deployment');
      const selectors = [...notes.matchAll(/kubectl (?:get pods|logs) .*?-l (\S+)/g)].map((m) => m[1]!);
      expect(selectors.length).toBe(2);
      for (const selector of selectors) {
        const labels = Object.fromEntries(selector.split(',').map((pair) => pair.split('=') as [string, string]));
        for (const d of deployments) expect(selects(labels, d.spec!.template.metadata!.labels), selector).toBe(true);
        expect(selects(labels, one<IPod>(manifests, 'Pod').metadata!.labels)).toBe(false);
      }
      const names = new Set(deployments.map((d) => d.metadata.name));
      const referenced = [...notes.matchAll(/deploy\/(\S+)/g)].map((m) => m[1]!);
      expect(referenced.length).toBeGreaterThan(0);
      for (const name of referenced) expect(names).toContain(name);
      expect(notes).toMatch(/kubectl exec --namespace jobs deploy\/\S+ -- turbine tenant list/);
    }
  });
});
