import { InternalError } from './errors.js';
import { errorFromScript } from './script-errors.js';

/**
 * Building blocks for the decoders of Lua script replies. Each script's wrapper has one small
 * decoder per reply shape that turns the positional array Redis returns into named fields; these
 * helpers check the shape on the way, so that a reply a script should never send (a wrong
 * length, a string where a count belongs, an unknown code) is reported as Turbine's
 * {@link InternalError}, never as the caller's bad input.
 */

/** The error for a reply `script` should never send. */
export function unexpectedReply(script: string, reply: unknown, expected: string): InternalError {
  return new InternalError(`Unexpected reply from Lua script '${script}': expected ${expected}, got ${describe(reply)}`);
}

/** `reply` as a list of exactly `length` values. */
export function replyList(script: string, reply: unknown, length: number, expected: string): readonly unknown[] {
  if (!Array.isArray(reply) || reply.length !== length) throw unexpectedReply(script, reply, expected);
  return reply;
}

/** True for the reply `{code}` and nothing else (a status that carries no values). */
export function isCodeAlone(reply: unknown, code: number): boolean {
  return Array.isArray(reply) && reply.length === 1 && reply[0] === code;
}

/** An integer Lua returned (ioredis gives numbers; a count stored as a string comes as one). */
export function replyInteger(script: string, value: unknown, expected: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw unexpectedReply(script, value, expected);
  return n;
}

/** A string Lua returned. */
export function replyString(script: string, value: unknown, expected: string): string {
  if (typeof value !== 'string') throw unexpectedReply(script, value, expected);
  return value;
}

/**
 * A reply of integers only, `{a, b, c}`, by the names `fields` give its positions (as the
 * script's header lists them).
 */
export function replyIntegers<const F extends readonly string[]>(script: string, reply: unknown, fields: F): Record<F[number], number> {
  const expected = `{${fields.join(', ')}}`;
  if (!Array.isArray(reply) || reply.length !== fields.length) throw unexpectedReply(script, reply, expected);
  const out = {} as Record<F[number], number>;
  fields.forEach((field: F[number], i) => (out[field] = replyInteger(script, reply[i], `an integer ${field} in ${expected}`)));
  return out;
}

/** One of `allowed`, as Lua returned it. */
export function replyChoice<const T extends string | number>(script: string, value: unknown, allowed: readonly T[], expected: string): T {
  if (!allowed.includes(value as T)) throw unexpectedReply(script, value, expected);
  return value as T;
}

/**
 * Throws the refusal a reply `{code, ...details}` carries when its code is negative (the codes of
 * `ScriptErrorCode`); returns the reply as a list otherwise.
 */
export function throwIfRefused(script: string, reply: unknown, tenantId: string): readonly unknown[] {
  if (!Array.isArray(reply) || reply.length === 0) throw unexpectedReply(script, reply, 'a list starting with a status code');
  const code = replyInteger(script, reply[0], 'a status code');
  if (code < 0) throw errorFromScript(code, tenantId, reply.slice(1));
  return reply;
}

function describe(reply: unknown): string {
  try {
    const text = JSON.stringify(reply) ?? String(reply);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(reply);
  }
}
