import { createHash } from 'node:crypto';
import {
  BULLMQ_INCLUDES,
  COMMANDS_DIR,
  INCLUDE_RE,
  WRAP_RE,
  readBullmqCommand,
  readCommand,
  resolveIncludes,
  type ScriptName,
} from './scripts.js';

/** Turbine's commands built as one Redis Functions library. */
export interface FunctionLibrary {
  /** `turbine_<hash of the code>`: each version has its own, so workers of two versions coexist. */
  name: string;
  code: string;
  functionName(command: ScriptName): string;
  numberOfKeys(command: ScriptName): number;
}

/**
 * Builds a Redis Functions library from Turbine's Lua commands. The same files as for EVAL,
 * laid out differently: every include and every wrapped BullMQ command becomes a local of the
 * library, defined once when the library loads, and each command's body a registered function.
 * An EVAL script defines all its local functions again on every call, which for these commands
 * (BullMQ's fetch and finish, called once per task) costs more than Turbine's steps themselves.
 *
 * Library code may not touch Redis, so the library's `rcall` is set when each call starts. A
 * command body keeps per-call state only through `beginCall()`.
 */
export function buildFunctionLibrary(
  commands: readonly ScriptName[],
  /** Commands that still run when Redis is out of memory (Redis's `allow-oom` flag). */
  allowOom: readonly ScriptName[] = [],
): FunctionLibrary {
  const seen = new Set<string>();
  const shared: string[] = ['local rcall'];
  const registered: string[] = [];
  const keys = new Map<ScriptName, number>();
  for (const command of commands) {
    const { source, numberOfKeys } = readCommand(command);
    keys.set(command, numberOfKeys);
    const body = source
      .replace(WRAP_RE, (_line, script: string, fn: string) => {
        const wrapped = readBullmqCommand(script);
        const { included, rest } = splitIncludes(wrapped, BULLMQ_INCLUDES, seen);
        shared.push(included, `local function ${fn}(KEYS, ARGV)\n${rest}\nend`);
        return '';
      })
      .replace(INCLUDE_RE, (line) => {
        shared.push(resolveIncludes(line, COMMANDS_DIR, seen));
        return '';
      })
      .replace(/^local rcall = redis\.call\s*$/m, '');
    const flags = allowOom.includes(command) ? "{'allow-oom'}" : '{}';
    registered.push(
      `redis.register_function{function_name='@@LIB@@_${command}', flags=${flags}, callback=function(KEYS, ARGV)\nrcall = redis.call\n${body}\nend}`,
    );
  }
  const template = `${shared.join('\n')}\n${registered.join('\n')}\n`;
  const name = `turbine_${createHash('sha1').update(template).digest('hex').slice(0, 16)}`;
  return {
    name,
    code: `#!lua name=${name}\n${template.replaceAll('@@LIB@@', name)}`,
    functionName: (command) => `${name}_${command}`,
    numberOfKeys: (command) => {
      const n = keys.get(command);
      if (n === undefined) throw new Error(`Lua command '${command}' is not in the library`);
      return n;
    },
  };
}

/** The includes of `text` resolved (once per `seen`), and the text without them. */
function splitIncludes(text: string, dir: string, seen: Set<string>): { included: string; rest: string } {
  const included: string[] = [];
  const rest = text.replace(INCLUDE_RE, (line) => {
    included.push(resolveIncludes(line, dir, seen));
    return '';
  });
  return { included: included.join('\n'), rest };
}
