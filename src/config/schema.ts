import { z } from 'zod';
import { DEFAULT_BACKEND_URL } from '../store/connection.js';
import { backendUrlProblem } from '../store/endpoint.js';
import { DEFAULT_PREFIX, SHARED_POOL } from '../core/keys.js';
import { MAX_SHARDS } from '../store/shards.js';
import { isValidQueueName } from '../tenancy/validation.js';

/**
 * Every option of `turbine-worker`, with its default and meaning: the one place that lists
 * them. `config/default.yaml` is this schema's defaults written out (a test keeps them equal),
 * environment variables are derived from the paths (`health.port` → `TURBINE_HEALTH_PORT`),
 * and `turbine config print` shows the effective values with their sources.
 */

const queueName = z.string().refine(isValidQueueName, {
  message: 'queue names use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
});
const positiveInt = z.number().int().positive();

/** The worker's health and metrics port; a worker that finds it taken moves to a free one. */
export const DEFAULT_HEALTH_PORT = 9464;

export const configSchema = z.strictObject({
  backendUrl: z
    .string()
    .superRefine((url, context) => {
      const problem = backendUrlProblem(url);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .default(DEFAULT_BACKEND_URL)
    .describe(
      'Redis URL: redis:// (rediss:// for TLS) for one server, redis+sentinel://host:port,…/<master-name> for Sentinel, ' +
        'redis+cluster://host:port,… for Redis Cluster; with password and db if any. Secret: printed redacted.',
    ),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9{}_.-]{1,64}$/, 'use letters, digits, ".", "_", "-" and a {hash tag} for Redis Cluster')
    .default(DEFAULT_PREFIX)
    .describe('Prefix of every Turbine key; use a hash tag such as {turbine} on Redis Cluster.'),
  shards: positiveInt
    .max(MAX_SHARDS)
    .default(1)
    .describe(
      'Shards tenants are spread over ({prefix-0} … {prefix-N-1}, one hash tag each, so that Redis Cluster spreads them over its primaries); ' +
        '1 keeps every key under the prefix. The same for workers, producers and the CLI.',
    ),
  app: z
    .string()
    .min(1)
    .optional()
    .describe('Module whose exported tasks (or default Turbine app) the worker runs, e.g. ./dist/tasks.js.'),
  queues: z
    .array(queueName)
    .default([])
    .describe("Queues to consume (comma-separated in flags and the environment); empty means every queue of the app's tasks."),
  pool: queueName
    .default(SHARED_POOL)
    .describe(
      `Worker pool: this process runs only the tasks of tenants whose pool it is (tenant --pool); "${SHARED_POOL}" runs the tenants of no dedicated pool.`,
    ),
  concurrency: positiveInt.max(10_000).default(10).describe('Tasks run at once per queue (and per shard, with several) by this process.'),
  lockDurationMs: positiveInt
    .min(1000)
    .default(30_000)
    .describe('BullMQ lock (and slot lease) duration; a crashed worker’s tasks are redelivered after it.'),
  stalledIntervalMs: positiveInt
    .min(1000)
    .default(30_000)
    .describe('How often BullMQ looks for tasks whose worker stopped renewing their lock.'),
  maxStalledCount: z
    .number()
    .int()
    .nonnegative()
    .default(1)
    .describe('Times a task may be redelivered after its worker died before it is dead-lettered.'),
  shutdownGraceMs: z
    .number()
    .int()
    .nonnegative()
    .default(30_000)
    .describe('On SIGTERM/SIGINT, how long running tasks may finish before the worker stops anyway.'),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default('info')
        .describe('Log level of the JSON logs on stdout.'),
    })
    .prefault({}),
  health: z
    .strictObject({
      port: z.number().int().min(0).max(65_535).default(DEFAULT_HEALTH_PORT).describe('Port of /healthz, /readyz and /metrics; 0 picks a free one.'),
      host: z.string().min(1).default('0.0.0.0').describe('Address the health and metrics server listens on.'),
    })
    .prefault({}),
  dispatch: z
    .strictObject({
      window: positiveInt
        .nullable()
        .default(null)
        .describe("Fixed dispatch window (one tenant's tasks allowed in a queue's wait list); null derives it from the workers' concurrency."),
      windowFactor: z.number().positive().default(2).describe('Derived window = factor × total concurrency of the workers on the queue.'),
      minWindow: positiveInt.default(10).describe('Smallest derived window.'),
    })
    .prefault({}),
  reconciler: z
    .strictObject({
      intervalMs: positiveInt.min(100).default(5000).describe('How often one elected worker repairs leases, counters and promotions.'),
      staleAfterMs: positiveInt.default(60_000).describe('Age after which waiting and deferred entries are checked against BullMQ.'),
    })
    .prefault({}),
  metering: z
    .strictObject({
      retentionDays: positiveInt
        .max(3660)
        .default(35)
        .describe("Days each hour's usage counts are kept after the hour ends (set in Redis by every worker at start)."),
      stream: z
        .boolean()
        .default(false)
        .describe('Also add every counted usage event to the stream <prefix>:usage:events, for a billing pipeline.'),
      streamMaxLength: positiveInt
        .default(1_000_000)
        .describe('About how many events the usage stream keeps (older ones are trimmed).'),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true).describe('Serve Prometheus metrics at /metrics.'),
      maxTenants: positiveInt.default(500).describe('Most distinct tenant label values; the rest are counted as tenant="__other__".'),
      tenants: z
        .array(z.string())
        .default([])
        .describe('If set, only these tenants get their own label value; others are "__other__".'),
      refreshIntervalMs: positiveInt.min(100).default(5000).describe('How often gauges read from Redis are refreshed.'),
    })
    .prefault({}),
});

export type TurbineConfig = z.output<typeof configSchema>;
export type TurbineConfigInput = z.input<typeof configSchema>;

/** Options whose values are secrets and are printed redacted. */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set(['backendUrl']);
