import { InvalidArgumentError } from '../core/errors.js';
import type { KeyLayout } from '../core/keys.js';
import { cancelTask } from '../tasks/cancel.js';
import { appendAuditEntry } from '../tenancy/audit.js';
import { TenantManager } from '../tenancy/manager.js';
import { NUMERIC_QUOTA_NAMES, QUOTA_WIRE_NAMES, type QuotaName } from '../tenancy/quotas.js';
import { assertQueueName, assertTaskId, assertTenantId } from '../tenancy/validation.js';
import type { ConsoleSources } from './reads.js';

/**
 * What an operator can do from the console. Each action says in words what it will do (for
 * the confirmation page) and then does it as `actor`, through the same library calls as the
 * CLI, so that it lands in the tenant's audit trail.
 */
export interface ConsoleAction {
  describe(fields: URLSearchParams): string;
  /** Does it; returns the notice shown afterwards. */
  run(sources: ConsoleSources, actor: string, fields: URLSearchParams): Promise<string>;
}

function required(fields: URLSearchParams, name: string): string {
  const value = fields.get(name);
  if (!value) throw new InvalidArgumentError(`Missing ${name}: the form sends it; reload the page and try again`);
  return value;
}

function tenantOf(fields: URLSearchParams): string {
  return assertTenantId(required(fields, 'tenant'));
}

/** A TenantManager that records `actor`, on the console's connection and shards. */
function managerFor(sources: ConsoleSources, actor: string): TenantManager {
  const { client, shards } = sources;
  return new TenantManager({ connection: client, prefix: shards.prefix, shards: shards.count, actor });
}

/** The keys of the shard `tenantId` lives on, where its audit trail and tasks are. */
function keysOf(sources: ConsoleSources, tenantId: string): Promise<KeyLayout> {
  return sources.shards.keysOf(sources.client, tenantId);
}

function setEnabled(enabled: boolean): ConsoleAction {
  const verb = enabled ? 'Enable' : 'Disable';
  return {
    describe: (fields) =>
      enabled
        ? `Enable tenant ${fields.get('tenant')}: its submissions are accepted again and its held tasks start.`
        : `Disable tenant ${fields.get('tenant')}: new submissions are refused and its queued tasks are held until it is enabled.`,
    run: async (sources, actor, fields) => {
      const tenantId = tenantOf(fields);
      await managerFor(sources, actor).updateTenant(tenantId, { enabled });
      return `${verb}d tenant ${tenantId}.`;
    },
  };
}

function quotaInput(fields: URLSearchParams): { name: QuotaName; value: number | null } {
  const name = required(fields, 'quota') as QuotaName;
  if (!(NUMERIC_QUOTA_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`Unknown quota ${JSON.stringify(name)}: choose one from the list`);
  }
  const text = (fields.get('value') ?? '').trim();
  if (text === '') return { name, value: null };
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`Invalid limit ${JSON.stringify(text)}: enter a whole number, or nothing for unlimited`);
  return { name, value: Number(text) };
}

const quota: ConsoleAction = {
  describe: (fields) => {
    const { name, value } = quotaInput(fields);
    return `Set ${QUOTA_WIRE_NAMES[name]} of tenant ${fields.get('tenant')} to ${value ?? 'unlimited'}.`;
  },
  run: async (sources, actor, fields) => {
    const tenantId = tenantOf(fields);
    const { name, value } = quotaInput(fields);
    await managerFor(sources, actor).updateTenant(tenantId, { quotas: { [name]: value } });
    return `Set ${QUOTA_WIRE_NAMES[name]} of ${tenantId} to ${value ?? 'unlimited'}.`;
  },
};

const replay: ConsoleAction = {
  describe: (fields) => `Replay dead letter ${fields.get('entry')}: submit its task again (the tenant's quotas apply) and remove the entry.`,
  run: async (sources, actor, fields) => {
    const replayed = await sources.deadLetters.replay(required(fields, 'entry'));
    await appendAuditEntry(sources.client, (await keysOf(sources, replayed.tenantId)).audit(replayed.tenantId), {
      actor,
      action: 'dlq_replay',
      changes: { entry_id: replayed.entryId, task_id: replayed.taskId, placement: replayed.placement },
    });
    return `Replayed ${replayed.entryId} as task ${replayed.taskId} (${replayed.placement}).`;
  },
};

const purge: ConsoleAction = {
  describe: (fields) =>
    `Delete every dead letter of tenant ${fields.get('tenant')}${fields.get('queue') ? ` in queue ${fields.get('queue')}` : ''}. This cannot be undone.`,
  run: async (sources, actor, fields) => {
    const tenantId = tenantOf(fields);
    const queue = fields.get('queue') || undefined;
    const removed = await sources.deadLetters.purge({ tenantId, queue });
    await appendAuditEntry(sources.client, (await keysOf(sources, tenantId)).audit(tenantId), {
      actor,
      action: 'dlq_purge',
      changes: { queue: queue ?? null, removed },
    });
    return `Purged ${removed} dead letters of ${tenantId}.`;
  },
};

/** Why a task could not be cancelled, as the notice says it. */
const NOT_CANCELLED = {
  unknown: 'it is not a task of this tenant in that queue (perhaps already drained or removed)',
  running: 'it has started running; a running task finishes',
  finished: 'it has already finished',
} as const;

const cancel: ConsoleAction = {
  describe: (fields) =>
    `Cancel task ${fields.get('task')} of tenant ${fields.get('tenant')} in queue ${fields.get('queue')}: it is removed before it starts and never runs.`,
  run: async (sources, actor, fields) => {
    const tenantId = tenantOf(fields);
    const queue = assertQueueName(required(fields, 'queue'));
    const taskId = assertTaskId(required(fields, 'task'));
    // The same call as `turbine task cancel`: removed and audited with the actor in one script.
    const outcome = await cancelTask(sources.client, await keysOf(sources, tenantId), { tenantId, queue, taskId }, { actor });
    if (!outcome.cancelled) return `Task ${taskId} was not cancelled: ${NOT_CANCELLED[outcome.reason]}.`;
    return `Cancelled task ${taskId} of ${tenantId} (it was ${outcome.state}).`;
  },
};

function drainScope(fields: URLSearchParams): string {
  const queue = fields.get('queue');
  return queue ? `in queue ${queue}` : 'in every queue';
}

const drain: ConsoleAction = {
  describe: (fields) =>
    `Drain tenant ${fields.get('tenant')}: delete its waiting, held and delayed tasks ${drainScope(fields)}. Running tasks finish. This cannot be undone.`,
  run: async (sources, actor, fields) => {
    const tenantId = tenantOf(fields);
    const queue = fields.get('queue') || undefined;
    const removed = await managerFor(sources, actor).drainTenant(tenantId, { queue });
    return `Drained ${tenantId} ${drainScope(fields)}: removed ${removed.waiting} waiting, ${removed.held} held and ${removed.delayed} delayed tasks.`;
  },
};

export const ACTIONS: Record<string, ConsoleAction> = {
  cancel,
  drain,
  enable: setEnabled(true),
  disable: setEnabled(false),
  quota,
  replay,
  purge,
};
