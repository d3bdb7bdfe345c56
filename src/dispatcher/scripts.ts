import { LuaScript } from '../store/scripts.js';

/**
 * The dispatcher's Lua scripts (`src/dispatcher/lua/`). Each is called from one typed method
 * that packs its KEYS/ARGV and decodes its reply with a decoder beside it: admission in
 * `admission.ts`, release and lease renewal in `release.ts`, reconciliation and its lock in
 * `reconciler.ts`. Fetch and finish (`bullmq-backend.ts`) reply as BullMQ's own scripts do, to BullMQ.
 */
export const dispatcherScripts = {
  admitTasks: new LuaScript('dispatcher', 'admitTasks', 1),
  /** BullMQ's fetch with the tenant's slot claimed in the same step. */
  moveToActive: new LuaScript('dispatcher', 'moveToActive', 11),
  /** BullMQ's finish with the slot released and held tasks promoted in the same step. */
  moveToFinished: new LuaScript('dispatcher', 'moveToFinished', 14),
  releaseTask: new LuaScript('dispatcher', 'releaseTask', 1),
  renewLeases: new LuaScript('dispatcher', 'renewLeases', 1),
  reconcileTenant: new LuaScript('dispatcher', 'reconcileTenant', 1),
  acquireLock: new LuaScript('dispatcher', 'acquireLock', 1),
  releaseLock: new LuaScript('dispatcher', 'releaseLock', 1),
} as const;
