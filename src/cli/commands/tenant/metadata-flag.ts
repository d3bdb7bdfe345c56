import type { Argv } from 'yargs';
import { InvalidArgumentError } from '../../../core/errors.js';
import type { JsonValue, TenantMetadata } from '../../../tenancy/tenant.js';

export interface MetadataArgs {
  metadata: string[] | undefined;
}

export function withMetadataFlag<T>(yargs: Argv<T>, describe: string): Argv<T & MetadataArgs> {
  return yargs.option('metadata', {
    type: 'string',
    array: true,
    // One value per flag, so that `--metadata a=1 acme` does not swallow a positional.
    nargs: 1,
    describe,
  });
}

/**
 * `--metadata key=value …` as an object. A value that parses as JSON (`5`, `true`, `null`,
 * `{"a":1}`, `"007"`) is stored as that JSON value, anything else as the string given.
 */
export function metadataFromFlags(items: readonly string[] | undefined): TenantMetadata | undefined {
  if (items === undefined) return undefined;
  const entries = items.map((item): [string, JsonValue] => {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new InvalidArgumentError(
        `Invalid --metadata ${JSON.stringify(item)}: expected key=value, e.g. --metadata plan=enterprise`,
      );
    }
    return [item.slice(0, eq), parseValue(item.slice(eq + 1))];
  });
  // fromEntries defines own properties, so a key such as `__proto__` is kept as data.
  return Object.fromEntries(entries);
}

function parseValue(text: string): JsonValue {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
  // An id such as 12345678901234567890 would lose digits as a JSON number; keep what was typed.
  if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) return text;
  return value;
}
