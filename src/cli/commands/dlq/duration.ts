import { InvalidArgumentError } from '../../../core/errors.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `30m`, `12h`, `7d` (units s, m, h, d, w) → milliseconds; anything else is bad input (exit 2). */
export function parseDuration(flag: string, raw: unknown): number {
  const match = typeof raw === 'string' ? /^(\d+)([smhdw])$/.exec(raw.trim()) : null;
  const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
  if (!Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError(
      `Invalid --${flag} ${JSON.stringify(Array.isArray(raw) ? raw.join(' ') : String(raw))}: expected a number and a unit, e.g. 30m, 12h, 7d (s, m, h, d, w)`,
    );
  }
  return ms;
}
