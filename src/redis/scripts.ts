import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander, Redis } from 'ioredis';

/**
 * Loads Turbine's Lua commands (`src/commands/<name>-<numKeys>.lua`) and resolves their
 * directives:
 * - `--- @include "name"` reads `src/commands/includes/name.lua`;
 * - `--- @include "bullmq:name"` reads BullMQ's own include of that name from the installed
 *   package, so that moving a job between BullMQ's lists is done by BullMQ's code of the exact
 *   version we run, not by a copy of it;
 * - `--- @wrap "bullmq:<script>" as <fn>` embeds a whole BullMQ command (with its own
 *   includes) as `local function <fn>(KEYS, ARGV)`, so a Turbine command can run it and add
 *   its own steps before and after, atomically.
 * Each include is inserted once per scope, where first named.
 */

export const COMMANDS_DIR = fileURLToPath(new URL('../commands/', import.meta.url));
const OWN_INCLUDES = path.join(COMMANDS_DIR, 'includes');
const BULLMQ_ROOT = path.dirname(createRequire(import.meta.url).resolve('bullmq/package.json'));
const BULLMQ_COMMANDS = path.join(BULLMQ_ROOT, 'dist/esm/commands');
export const BULLMQ_INCLUDES = path.join(BULLMQ_COMMANDS, 'includes');

/** The installed BullMQ version: its command names carry it (`moveToActive:6.7.0`). */
export const BULLMQ_VERSION = (
  JSON.parse(readFileSync(path.join(BULLMQ_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

// BullMQ's own commands name their includes "includes/<name>".
export const INCLUDE_RE = /^--- @include "(bullmq:)?(?:includes\/)?([\w-]+)"\s*$/gm;
export const WRAP_RE = /^--- @wrap "bullmq:([\w-]+)" as (\w+)\s*$/gm;

export type ScriptName =
  | 'admitTasks'
  | 'moveToActive'
  | 'moveToFinished'
  | 'releaseTask'
  | 'renewLeases'
  | 'reconcileTenant'
  | 'createTenant'
  | 'updateTenant'
  | 'deleteTenant'
  | 'changeUsage'
  | 'tenantStats'
  | 'metricsSnapshot'
  | 'purgeDeadLetters'
  | 'acquireLock'
  | 'releaseLock';

export interface LoadedScript {
  numberOfKeys: number;
  lua: string;
  sha: string;
}

const loaded = new Map<ScriptName, LoadedScript>();

/** Replaces each include of `source` by the file's text (itself resolved), once per `seen`. */
export function resolveIncludes(source: string, dir: string, seen: Set<string>): string {
  return source.replace(INCLUDE_RE, (_line, bullmq: string | undefined, name: string) => {
    // BullMQ's includes name their siblings without the `bullmq:` mark.
    const base = bullmq || dir === BULLMQ_INCLUDES ? BULLMQ_INCLUDES : OWN_INCLUDES;
    const file = path.join(base, `${name}.lua`);
    if (seen.has(file)) return '';
    seen.add(file);
    return resolveIncludes(readFileSync(file, 'utf8'), path.dirname(file), seen);
  });
}

/** The source of one of BullMQ's commands, e.g. `moveToActive-11`. */
export function readBullmqCommand(script: string): string {
  return readFileSync(path.join(BULLMQ_COMMANDS, `${script}.lua`), 'utf8');
}

/** The source of one of Turbine's commands, with its number of keys. */
export function readCommand(name: ScriptName): { source: string; numberOfKeys: number } {
  const file = readdirSync(COMMANDS_DIR).find((f) => f.startsWith(`${name}-`) && f.endsWith('.lua'));
  if (!file) throw new Error(`Lua command '${name}' is missing from ${COMMANDS_DIR}`);
  return {
    source: readFileSync(path.join(COMMANDS_DIR, file), 'utf8'),
    numberOfKeys: Number(file.slice(name.length + 1, -'.lua'.length)),
  };
}

function resolveWraps(source: string): string {
  return source.replace(WRAP_RE, (_line, script: string, fn: string) => {
    const body = readBullmqCommand(script);
    // A scope of its own: its includes become locals of the function, whatever the caller includes.
    return `local function ${fn}(KEYS, ARGV)\n${resolveIncludes(body, BULLMQ_INCLUDES, new Set())}\nend`;
  });
}

export function loadScript(name: ScriptName): LoadedScript {
  const cached = loaded.get(name);
  if (cached) return cached;
  const command = readCommand(name);
  const numberOfKeys = command.numberOfKeys;
  const lua = resolveIncludes(resolveWraps(command.source), COMMANDS_DIR, new Set());
  const script = { numberOfKeys, lua, sha: createHash('sha1').update(lua).digest('hex') };
  loaded.set(name, script);
  return script;
}

export type ScriptArg = string | number;

/** Runs a command by its SHA, loading it on the first NOSCRIPT (after a restart or a flush). */
export async function runScript(client: Redis, name: ScriptName, keys: string[], args: ScriptArg[]): Promise<unknown> {
  const script = loadScript(name);
  if (keys.length !== script.numberOfKeys) {
    throw new Error(`Lua command '${name}' takes ${script.numberOfKeys} key(s), got ${keys.length}`);
  }
  return evalScript(client, script, [...keys, ...args]);
}

/** EVALSHA with its keys and arguments in one list (the number of keys is the script's). */
export async function evalScript(client: Redis, script: LoadedScript, keysAndArgs: readonly (ScriptArg | Buffer)[]): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, script.numberOfKeys, ...keysAndArgs);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return client.eval(script.lua, script.numberOfKeys, ...keysAndArgs);
    }
    throw error;
  }
}

/** Queues a command on a pipeline; call {@link ensureScriptsLoaded} before exec. */
export function pipeScript(pipeline: ChainableCommander, name: ScriptName, keys: string[], args: ScriptArg[]): void {
  const script = loadScript(name);
  pipeline.evalsha(script.sha, keys.length, ...keys, ...args);
}

export async function ensureScriptsLoaded(client: Redis, names: ScriptName[]): Promise<void> {
  await Promise.all(names.map((n) => client.script('LOAD', loadScript(n).lua)));
}
