import { LuaScript } from '../store/scripts.js';

/** Removes dead-letter entries by filter, with their index members (`src/dlq/lua/`). */
export const purgeDeadLettersScript = new LuaScript('dlq', 'purgeDeadLetters', 1);
