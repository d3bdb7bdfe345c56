import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/core/classify.js';
import { InternalError, QueueFullError, TenantHasQueuedTasksError, TenantNotFoundError, type TurbineError } from '../../src/core/errors.js';
import { ScriptErrorCode } from '../../src/core/script-errors.js';
import { decodeAdmitTasks, PlacementCode } from '../../src/dispatcher/admission.js';
import { decodeAcquireLock, decodeReconcileTenant } from '../../src/dispatcher/reconciler.js';
import { decodeReleaseTask, ReleaseCode } from '../../src/dispatcher/release.js';
import { decodePurgeDeadLetters } from '../../src/dlq/scripts.js';
import { decodeQueueReply, decodeTenantSlice, SnapshotStatus } from '../../src/metrics/snapshot.js';
import {
  CancelStatus,
  decodeCancelTask,
  decodeChangeUsage,
  decodeCreateTenant,
  decodeDeleteTenant,
  decodeDrainPurge,
  decodeDrainStart,
  decodeTenantStats,
  decodeUpdateTenant,
  DeleteStatus,
} from '../../src/tenancy/replies.js';

const lua = (file: string): string => readFileSync(new URL(`../../src/${file}`, import.meta.url), 'utf8');

/** The values of `local A, B = 1, 2` in a script, by name. */
function luaLocals(file: string, names: readonly string[]): Record<string, number> {
  const match = new RegExp(`^local ${names.join(', ')} = (.+)$`, 'm').exec(lua(file));
  expect(match, `${file} declares ${names.join(', ')}`).not.toBeNull();
  const values = match![1]!.split(',').map((v) => Number(v.trim()));
  return Object.fromEntries(names.map((name, i) => [name, values[i]!]));
}

/** The fields of a Lua table constructor `local Name = { A = 1, ... }`. */
function luaTable(file: string, name: string): Record<string, number> {
  const body = new RegExp(`^local ${name} = \\{([^}]*)\\}`, 'm').exec(lua(file))?.[1] ?? '';
  return Object.fromEntries([...body.matchAll(/(\w+) = (-?\d+)/g)].map(([, key, value]) => [key!, Number(value)]));
}

/** Asserts that `decode` rejects `reply` as Turbine's internal error (never as bad input). */
function expectInternal(decode: () => unknown): void {
  let thrown: unknown;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InternalError);
  expect((thrown as TurbineError).code).toBe('INTERNAL');
  expect(classify(thrown)).toBe('internal');
  expect((thrown as Error).message).toMatch(/^Unexpected reply from Lua script '\w+'/);
}

describe('the codes Lua and TypeScript share', () => {
  it('ScriptError in scriptErrors.lua is ScriptErrorCode', () => {
    expect(luaTable('core/lua/includes/scriptErrors.lua', 'ScriptError')).toEqual(ScriptErrorCode);
  });

  it('each script names its codes with the values of the TypeScript constants', () => {
    const placed = luaTable('dispatcher/lua/admitTasks-1.lua', 'Placed');
    expect(placed).toEqual({ QUEUED: PlacementCode.Queued, HELD: PlacementCode.Held, DEFERRED: PlacementCode.Deferred, DUPLICATE: PlacementCode.Duplicate });
    expect(luaLocals('dispatcher/lua/releaseTask-1.lua', ['REQUEUED', 'RETRY', 'DEAD_LETTERED'])).toEqual({
      REQUEUED: ReleaseCode.Requeued,
      RETRY: ReleaseCode.Retry,
      DEAD_LETTERED: ReleaseCode.DeadLettered,
    });
    expect(luaLocals('tenancy/lua/deleteTenant-1.lua', ['NOT_FOUND', 'DELETED', 'MORE'])).toEqual({
      NOT_FOUND: DeleteStatus.NotFound,
      DELETED: DeleteStatus.Deleted,
      MORE: DeleteStatus.MoreBatches,
    });
    expect(luaLocals('tenancy/lua/cancelTask-1.lua', ['NOT_REMOVED', 'REMOVED'])).toEqual({
      NOT_REMOVED: CancelStatus.NotRemoved,
      REMOVED: CancelStatus.Removed,
    });
    expect(luaLocals('metrics/lua/metricsSnapshot-1.lua', ['NOT_ELECTED', 'ELECTED'])).toEqual({
      NOT_ELECTED: SnapshotStatus.NotElected,
      ELECTED: SnapshotStatus.Elected,
    });
  });
});

describe('tenancy replies', () => {
  it('decode the replies each script sends', () => {
    expect(decodeCreateTenant([0], 'acme')).toBeUndefined();
    expect(decodeUpdateTenant([0, 2, 5, 1], 'acme')).toEqual({ changedFields: 2, promoted: 5, pulledBack: 1 });
    expect(decodeDeleteTenant([0, 0], 'acme')).toEqual({ status: 'not_found', deadLettered: 0 });
    expect(decodeDeleteTenant([1, 3], 'acme')).toEqual({ status: 'deleted', deadLettered: 3 });
    expect(decodeDeleteTenant([2, 1000], 'acme')).toEqual({ status: 'more_batches', deadLettered: 1000 });
    expect(decodeChangeUsage([0, 42], 'acme')).toBe(42);
    expect(decodeCancelTask([1, 'held'])).toEqual({ cancelled: true, state: 'held' });
    expect(decodeCancelTask([0, 'running'])).toEqual({ cancelled: false, reason: 'running' });
    expect(decodeDrainStart([4, 1000, 2], 'acme')).toEqual({ waiting: 4, held: 1000, delayed: 2 });
    expect(decodeDrainPurge([1000, 1])).toEqual({ removed: 1000, listsLeft: 1 });
  });

  it('decode tenantStats by name, resets relative to now', () => {
    const before = Date.now();
    const stats = decodeTenantStats([0, 7, 60_000, 9, -2, 2, 30, 5, 1, 2, 3, 11, 0], 'acme');
    expect(stats).toMatchObject({
      tasksHour: 7,
      tasksDay: 9,
      concurrentTasks: 2,
      totalTasks: 30,
      heldTasks: 5,
      waitingTasks: 1,
      deferredTasks: 3,
      pendingTasks: 9,
      storedResults: 11,
      dayResetsAt: null,
      rateLimitedUntil: null,
    });
    expect(stats.hourResetsAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('turn a refusal code into its Turbine error', () => {
    expect(() => decodeTenantStats([ScriptErrorCode.TenantNotFound], 'acme')).toThrow(TenantNotFoundError);
    expect(() => decodeDrainStart([ScriptErrorCode.TenantNotFound], 'acme')).toThrow(TenantNotFoundError);
    expect(() => decodeDeleteTenant([ScriptErrorCode.TenantHasQueuedTasks, 12], 'acme')).toThrow(TenantHasQueuedTasksError);
  });

  it('reject any other reply as an internal error', () => {
    expectInternal(() => decodeCreateTenant('OK', 'acme'));
    expectInternal(() => decodeUpdateTenant([0, 2], 'acme'));
    expectInternal(() => decodeDeleteTenant([3, 0], 'acme'));
    expectInternal(() => decodeChangeUsage([0, 'many'], 'acme'));
    expectInternal(() => decodeTenantStats([0, 1, 2], 'acme'));
    expectInternal(() => decodeCancelTask([1, 'running']));
    expectInternal(() => decodeCancelTask([2, 'held']));
    expectInternal(() => decodeDrainStart(null, 'acme'));
    expectInternal(() => decodeDrainPurge([1]));
  });
});

describe('dispatcher replies', () => {
  it('decode admitTasks: three values per task, placements and refusals', () => {
    const decoded = decodeAdmitTasks(
      [PlacementCode.Queued, 'acme@1', 0, PlacementCode.Duplicate, 'acme@2', 0, ScriptErrorCode.QueueFull, 10, 0],
      ['acme', 'acme', 'acme'],
    );
    expect(decoded.slice(0, 2)).toEqual([
      { placement: 'queued', jobId: 'acme@1' },
      { placement: 'duplicate', jobId: 'acme@2' },
    ]);
    const refused = decoded[2]!;
    expect('refusal' in refused && refused.refusal).toBeInstanceOf(QueueFullError);
  });

  it('reject an admitTasks reply of another length or with an unknown code', () => {
    expectInternal(() => decodeAdmitTasks([PlacementCode.Queued, 'acme@1', 0], ['acme', 'acme']));
    expectInternal(() => decodeAdmitTasks([7, 'acme@1', 0], ['acme']));
    expectInternal(() => decodeAdmitTasks([0, 'acme@1', 0], ['acme']));
    expectInternal(() => decodeAdmitTasks([PlacementCode.Held, 12, 0], ['acme']));
  });

  it('decode releaseTask into a decision', () => {
    expect(decodeReleaseTask([ReleaseCode.Requeued])).toEqual({ kind: 'requeued' });
    expect(decodeReleaseTask([ReleaseCode.Retry, 3])).toEqual({ kind: 'retry', allowedRetries: 3 });
    expect(decodeReleaseTask([ReleaseCode.DeadLettered, 0])).toEqual({ kind: 'dead-lettered', allowedRetries: 0 });
    expectInternal(() => decodeReleaseTask([2, 1]));
    expectInternal(() => decodeReleaseTask([ReleaseCode.Retry]));
    expectInternal(() => decodeReleaseTask(1));
  });

  it('decode reconcileTenant by name, null for a tenant deleted meanwhile', () => {
    expect(decodeReconcileTenant([3, 1, 2, 0, 9, 1])).toEqual({ promoted: 3, leasesDropped: 1, slotsDropped: 2, deferredDropped: 0, strayFetches: 1 });
    expect(decodeReconcileTenant([ScriptErrorCode.TenantNotFound])).toBeNull();
    expectInternal(() => decodeReconcileTenant([3, 1, 2]));
    expectInternal(() => decodeReconcileTenant([ScriptErrorCode.QueueFull]));
  });

  it('decode acquireLock', () => {
    expect(decodeAcquireLock(1)).toBe(true);
    expect(decodeAcquireLock(0)).toBe(false);
    expectInternal(() => decodeAcquireLock('OK'));
  });
});

describe('other areas', () => {
  it('decode purgeDeadLetters', () => {
    expect(decodePurgeDeadLetters([2, 5, 2])).toEqual({ unindexed: 2, scanned: 5, deleted: 2 });
    expectInternal(() => decodePurgeDeadLetters([2, 5]));
  });

  it('reject a metrics snapshot of another shape', () => {
    expectInternal(() => decodeQueueReply('OK'));
    expectInternal(() => decodeQueueReply([2, []]));
    expectInternal(() => decodeQueueReply([SnapshotStatus.Elected, [['emails', 1, 2]]]));
    expectInternal(() => decodeTenantSlice([SnapshotStatus.Elected, '0', [['acme', 1]], []]));
    expectInternal(() => decodeTenantSlice([SnapshotStatus.Elected, 0, [], []]));
  });
});
