import { createHash } from 'node:crypto';
import { INCLUDE_RE, WRAP_RE, readBullmqCommand, resolveIncludes, takeReplacements, type BullmqReplacements, type LuaScript } from './scripts.js';

/** Turbine's commands built as one Redis Functions library. */
export interface FunctionLibrary {
  /** `turbine_<hash of the code>`: each version has its own, so workers of two versions coexist. */
  name: string;
  code: string;
  functionName(script: LuaScript): string;
}

/**
 * Builds a Redis Functions library from Turbine's Lua scripts. The same files as for EVAL,
 * laid out differently: every include and every wrapped BullMQ command becomes a local of the
 * library, defined once when the library loads, and each command's body a registered function.
 * An EVAL script defines all its local functions again on every call, which for these commands
 * (BullMQ's fetch and finish, called once per task) costs more than Turbine's steps themselves.
 *
 * Library code may not touch Redis, so the library's `rcall` is set when each call starts. A
 * command body keeps per-call state only through `beginCall()`.
 */
export function buildFunctionLibrary(
  scripts: readonly LuaScript[],
  /** Scripts that still run when Redis is out of memory (Redis's `allow-oom` flag). */
  allowOom: readonly LuaScript[] = [],
): FunctionLibrary {
  const seen = new Set<string>();
  const shared: string[] = ['local rcall'];
  const registered: string[] = [];
  for (const script of scripts) {
    // The library's scope is shared: a BullMQ include replaced by one script is replaced for
    // every script after it (the two that wrap BullMQ's commands replace the same ones).
    const { replacements, rest: source } = takeReplacements(script.source, script.area);
    const body = source
      .replace(WRAP_RE, (_line, command: string, fn: string) => {
        const wrapped = readBullmqCommand(command);
        const { included, rest } = splitIncludes(wrapped, seen, replacements);
        shared.push(included, `local function ${fn}(KEYS, ARGV)\n${rest}\nend`);
        return '';
      })
      .replace(INCLUDE_RE, (line) => {
        shared.push(resolveIncludes(line, script.area, seen));
        return '';
      })
      .replace(/^local rcall = redis\.call\s*$/m, '');
    const flags = allowOom.includes(script) ? "{'allow-oom'}" : '{}';
    registered.push(
      `redis.register_function{function_name='@@LIB@@_${script.name}', flags=${flags}, callback=function(KEYS, ARGV)\nrcall = redis.call\n${body}\nend}`,
    );
  }
  const template = `${shared.join('\n')}\n${registered.join('\n')}\n`;
  const name = `turbine_${createHash('sha1').update(template).digest('hex').slice(0, 16)}`;
  return {
    name,
    code: `#!lua name=${name}\n${template.replaceAll('@@LIB@@', name)}`,
    functionName: (script) => `${name}_${script.name}`,
  };
}

/** The includes of `text` resolved (once per `seen`), and the text without them. */
function splitIncludes(text: string, seen: Set<string>, replacements: BullmqReplacements): { included: string; rest: string } {
  const included: string[] = [];
  const rest = text.replace(INCLUDE_RE, (line) => {
    included.push(resolveIncludes(line, 'bullmq', seen, replacements));
    return '';
  });
  return { included: included.join('\n'), rest };
}
