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

const COMMANDS_DIR = fileURLToPath(new URL('../commands/', import.meta.url));
const OWN_INCLUDES = path.join(COMMANDS_DIR, 'includes');
const BULLMQ_ROOT = path.dirname(createRequire(import.meta.url).resolve('bullmq/package.json'));
const BULLMQ_COMMANDS = path.join(BULLMQ_ROOT, 'dist/esm/commands');
const BULLMQ_INCLUDES = path.join(BULLMQ_COMMANDS, 'includes');

/** The installed BullMQ version: its command names carry it (`moveToActive:6.7.0`). */
export const BULLMQ_VERSION = (
  JSON.parse(readFileSync(path.join(BULLMQ_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

// BullMQ's own commands name their includes "includes/<name>".
const INCLUDE_RE = /^--- @include "(bullmq:)?(?:includes\/)?([\w-]+)"\s*$/gm;
const WRAP_RE = /^--- @wrap "bullmq:([\w-]+)" as (\w+)\s*$/gm;

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

interface LoadedScript {
  numberOfKeys: number;
  lua: string;
  sha: string;
}

const loaded = new Map<ScriptName, LoadedScript>();

function resolveIncludes(source: string, dir: string, seen: Set<string>): string {
  return source.replace(INCLUDE_RE, (_line, bullmq: string | undefined, name: string) => {
    // BullMQ's includes name their siblings without the `bullmq:` mark.
    const base = bullmq || dir === BULLMQ_INCLUDES ? BULLMQ_INCLUDES : OWN_INCLUDES;
    const file = path.join(base, `${name}.lua`);
    if (seen.has(file)) return '';
    seen.add(file);
    return resolveIncludes(readFileSync(file, 'utf8'), path.dirname(file), seen);
  });
}

function resolveWraps(source: string): string {
  return source.replace(WRAP_RE, (_line, script: string, fn: string) => {
    const body = readFileSync(path.join(BULLMQ_COMMANDS, `${script}.lua`), 'utf8');
    // A scope of its own: its includes become locals of the function, whatever the caller includes.
    return `local function ${fn}(KEYS, ARGV)\n${resolveIncludes(body, BULLMQ_INCLUDES, new Set())}\nend`;
  });
}

export function loadScript(name: ScriptName): LoadedScript {
  const cached = loaded.get(name);
  if (cached) return cached;
  const file = readdirSync(COMMANDS_DIR).find((f) => f.startsWith(`${name}-`) && f.endsWith('.lua'));
  if (!file) throw new Error(`Lua command '${name}' is missing from ${COMMANDS_DIR}`);
  const numberOfKeys = Number(file.slice(name.length + 1, -'.lua'.length));
  const source = resolveWraps(readFileSync(path.join(COMMANDS_DIR, file), 'utf8'));
  const lua = resolveIncludes(source, COMMANDS_DIR, new Set());
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
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
      return client.eval(script.lua, keys.length, ...keys, ...args);
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

/** BullMQ commands that Turbine replaces with its own versions on a worker's connection. */
const BULLMQ_OVERRIDES = ['moveToActive', 'moveToFinished'] as const satisfies readonly ScriptName[];

/**
 * Installs Turbine's `moveToActive` and `moveToFinished` on a client before BullMQ uses it:
 * BullMQ defines a command only when the client does not have it yet, so a worker on this
 * client fetches and finishes jobs through Turbine's versions (BullMQ's script, then the slot
 * claim or release) in the same round trip.
 */
export function installBullmqOverrides(client: Redis): void {
  for (const name of BULLMQ_OVERRIDES) {
    const script = loadScript(name);
    client.defineCommand(`${name}:${BULLMQ_VERSION}`, { numberOfKeys: script.numberOfKeys, lua: script.lua });
  }
}
