import type { RedisClient } from './connection.js';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Loads Turbine's Lua scripts. Each area owns its scripts, as files beside its code:
 * `src/<area>/lua/<name>-<numKeys>.lua`, with the includes it shares in `src/<area>/lua/includes/`.
 * Directives, resolved here:
 * - `--- @include "name"` reads the area's own include `name.lua`;
 * - `--- @include "<area>:name"` reads another area's include (`core:keys`, `dispatcher:slots`);
 *   an area only includes from areas below it (core ← dispatcher ← tenancy, dlq, metrics);
 * - `--- @include "bullmq:name"` reads BullMQ's own include of that name from the installed
 *   package, so that moving a job between BullMQ's lists is done by BullMQ's code of the exact
 *   version we run, not by a copy of it;
 * - `--- @wrap "bullmq:<script>" as <fn>` embeds a whole BullMQ command (with its own
 *   includes) as `local function <fn>(KEYS, ARGV)`, so a Turbine script can run it and add
 *   its own steps before and after, atomically;
 * - `--- @replace "bullmq:<name>" by "<own>"` inlines the script's own include `<own>` wherever
 *   the BullMQ commands it wraps include `<name>`: for a step of BullMQ's that Turbine's own step
 *   has already done in the same call (each use says why).
 * Each include is inserted once per scope, where first named.
 */

export type LuaArea = 'core' | 'dispatcher' | 'tenancy' | 'dlq' | 'metrics';

/** `src/` (or `dist/` once built): the areas' folders are below it. */
const SOURCE_ROOT = fileURLToPath(new URL('../', import.meta.url));
const BULLMQ_ROOT = path.dirname(createRequire(import.meta.url).resolve('bullmq/package.json'));
const BULLMQ_COMMANDS = path.join(BULLMQ_ROOT, 'dist/esm/commands');
const BULLMQ_INCLUDES = path.join(BULLMQ_COMMANDS, 'includes');

/** The installed BullMQ version. */
export const BULLMQ_VERSION = (
  JSON.parse(readFileSync(path.join(BULLMQ_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

// BullMQ's own commands name their includes "includes/<name>".
export const INCLUDE_RE = /^--- @include "(?:([\w-]+):)?(?:includes\/)?([\w-]+)"\s*$/gm;
export const WRAP_RE = /^--- @wrap "bullmq:([\w-]+)" as (\w+)\s*$/gm;
const REPLACE_RE = /^--- @replace "bullmq:([\w-]+)" by "([\w-]+)"\s*$/gm;

/** A script's `@replace` directives: the file to inline instead of each BullMQ include, by name. */
export type BullmqReplacements = ReadonlyMap<string, string>;

/** The `@replace` directives of `source` (a script of `area`), and the source without them. */
export function takeReplacements(source: string, area: LuaArea): { replacements: BullmqReplacements; rest: string } {
  const replacements = new Map<string, string>();
  const rest = source.replace(REPLACE_RE, (_line, name: string, own: string) => {
    replacements.set(name, includeFile(area, undefined, own));
    return '';
  });
  return { replacements, rest };
}

export type ScriptArg = string | number;

/** The first line of an EVAL script that may write at maxmemory (Redis 7's script flags). */
export const ALLOW_OOM_SHEBANG = '#!lua flags=allow-oom';

/** One Lua script of an area, read and resolved on first use. */
export class LuaScript {
  private resolved: { lua: string; sha: string } | null = null;
  private allowingOom: { lua: string; sha: string } | null = null;

  constructor(
    readonly area: LuaArea,
    readonly name: string,
    readonly numberOfKeys: number,
  ) {}

  get file(): string {
    return path.join(SOURCE_ROOT, this.area, 'lua', `${this.name}-${this.numberOfKeys}.lua`);
  }

  /** The script as written, directives unresolved. */
  get source(): string {
    return readFileSync(this.file, 'utf8');
  }

  /** The script with its includes and wrapped BullMQ commands inlined, as EVAL runs it. */
  get lua(): string {
    return this.load().lua;
  }

  get sha(): string {
    return this.load().sha;
  }

  private load(): { lua: string; sha: string } {
    if (!this.resolved) {
      const { replacements, rest } = takeReplacements(this.source, this.area);
      const lua = resolveIncludes(resolveWraps(rest, replacements), this.area, new Set());
      this.resolved = { lua, sha: createHash('sha1').update(lua).digest('hex') };
    }
    return this.resolved;
  }

  /**
   * Runs the script by its SHA, sending it whole on the first NOSCRIPT (after a restart or a
   * flush). `keys` must be as many as the file name says.
   */
  async run(client: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`Lua script '${this.name}' takes ${this.numberOfKeys} key(s), got ${keys.length}`);
    }
    return this.evaluate(client, [...keys, ...args]);
  }

  /**
   * The script with Redis 7's shebang flag `allow-oom`: it may write when Redis is at maxmemory,
   * as a Functions library's function registered with that flag. Redis before 7 cannot parse it.
   */
  private loadAllowingOom(): { lua: string; sha: string } {
    if (!this.allowingOom) {
      const lua = `${ALLOW_OOM_SHEBANG}\n${this.lua}`;
      this.allowingOom = { lua, sha: createHash('sha1').update(lua).digest('hex') };
    }
    return this.allowingOom;
  }

  /**
   * EVALSHA with keys and arguments in one list, as BullMQ passes them; with `allowOom`, the
   * script flagged `allow-oom` (Redis 7 or later only).
   */
  async evaluate(client: RedisClient, keysAndArgs: readonly (ScriptArg | Buffer)[], allowOom = false): Promise<unknown> {
    const { lua, sha } = allowOom ? this.loadAllowingOom() : this.load();
    try {
      return await client.evalsha(sha, this.numberOfKeys, ...keysAndArgs);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return client.eval(lua, this.numberOfKeys, ...keysAndArgs);
      }
      throw error;
    }
  }
}

/** The file of an include named in a script of `area` (`name`, `core:name`, `bullmq:name`). */
export function includeFile(area: LuaArea | 'bullmq', qualifier: string | undefined, name: string): string {
  const from = qualifier ?? area;
  if (from === 'bullmq') return path.join(BULLMQ_INCLUDES, `${name}.lua`);
  return path.join(SOURCE_ROOT, from, 'lua', 'includes', `${name}.lua`);
}

/**
 * Replaces each include of `source` by the file's text (itself resolved), once per `seen`; a
 * BullMQ include named in `replacements` by the file given there.
 */
export function resolveIncludes(
  source: string,
  area: LuaArea | 'bullmq',
  seen: Set<string>,
  replacements: BullmqReplacements = new Map(),
): string {
  return source.replace(INCLUDE_RE, (_line, qualifier: string | undefined, name: string) => {
    const owner = (qualifier ?? area) as LuaArea | 'bullmq';
    const replacement = owner === 'bullmq' ? replacements.get(name) : undefined;
    const file = replacement ?? includeFile(area, qualifier, name);
    if (seen.has(file)) return '';
    seen.add(file);
    // A replacement is a stand-in of Turbine's that includes nothing itself: it is not resolved further.
    return replacement ? readFileSync(file, 'utf8') : resolveIncludes(readFileSync(file, 'utf8'), owner, seen, replacements);
  });
}

/** The source of one of BullMQ's commands, e.g. `moveToActive-11`. */
export function readBullmqCommand(script: string): string {
  return readFileSync(path.join(BULLMQ_COMMANDS, `${script}.lua`), 'utf8');
}

function resolveWraps(source: string, replacements: BullmqReplacements): string {
  return source.replace(WRAP_RE, (_line, script: string, fn: string) => {
    const body = readBullmqCommand(script);
    // A scope of its own: its includes become locals of the function, whatever the caller includes.
    return `local function ${fn}(KEYS, ARGV)\n${resolveIncludes(body, 'bullmq', new Set(), replacements)}\nend`;
  });
}
