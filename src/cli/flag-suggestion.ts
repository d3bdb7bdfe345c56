import { closest, distance } from 'fastest-levenshtein';

/**
 * yargs' strict mode names an unknown flag but, unlike for commands, suggests nothing. This adds
 * the nearest known flag to its message when it is close enough to be a typo.
 */
export function suggestFlags(message: string, knownFlags: readonly string[], argv: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (!unknown) return message;
  // yargs lists a dashed flag twice, as typed and camel-cased; people typed the first.
  const given = unknown[1]!.split(', ').filter((name) => !/[a-z][A-Z]/.test(name));
  const typedAsFlag = (name: string): boolean => argv.some((arg) => arg.replace(/^-+/, '').split('=')[0] === name && arg.startsWith('-'));
  // A stray positional argument (`turbine frobnicate`) keeps yargs' own message.
  if (!given.every(typedAsFlag)) return message;
  const shown = given.map((name) => (name.length > 1 ? `--${name}` : `-${name}`)).join(', ');
  const suggestions = knownFlags.length === 0 ? [] : given.flatMap((name) => {
    const nearest = closest(name, [...knownFlags]);
    return distance(name, nearest) <= Math.max(2, Math.floor(name.length / 3)) ? [`--${nearest}`] : [];
  });
  const text = `Unknown ${given.length > 1 ? 'flags' : 'flag'} ${shown}`;
  return suggestions.length ? `${text}; did you mean ${[...new Set(suggestions)].join(' or ')}?` : text;
}

/**
 * The flags of the command yargs was parsing, from the usage object it passes to `fail` (its
 * described options; not in yargs' typings, so read defensively: without it, no suggestion).
 */
export function knownFlags(usage: unknown): string[] {
  const describe = (usage as { getDescriptions?: () => Record<string, unknown> } | null)?.getDescriptions;
  if (typeof describe !== 'function') return [];
  return Object.keys(describe()).filter((key) => key.length > 1 && !/[A-Z]/.test(key));
}
