import { replyIntegers } from '../core/script-reply.js';
import { LuaScript } from '../store/scripts.js';

/** Removes dead-letter entries by filter, with their index members (`src/dlq/lua/`). */
export const purgeDeadLettersScript = new LuaScript('dlq', 'purgeDeadLetters', 1);

/** One call of `purgeDeadLetters-1.lua` (see its header). */
export interface PurgeStep {
  /** Entries that left the index read (the caller's offset grows by scanned - unindexed). */
  unindexed: number;
  /** Index members read; 0 when there are no more. */
  scanned: number;
  /** Entries deleted that existed. */
  deleted: number;
}

export function decodePurgeDeadLetters(reply: unknown): PurgeStep {
  return replyIntegers('purgeDeadLetters', reply, ['unindexed', 'scanned', 'deleted']);
}
