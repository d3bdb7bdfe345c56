import { InvalidArgumentError } from '../../../core/errors.js';
import { parseDuration } from '../dlq/duration.js';

/**
 * A `--from` / `--to` value: an ISO 8601 time (`2026-12-01`, `2026-12-01T08:00Z`) or a duration
 * before now (`24h`, `7d`).
 */
export function parseTimeFlag(flag: string, raw: unknown, now: number): Date {
  if (typeof raw === 'string' && /^\d+[smhdw]$/.test(raw.trim())) return new Date(now - parseDuration(flag, raw));
  const time = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(time)) {
    throw new InvalidArgumentError(
      `Invalid --${flag} ${JSON.stringify(String(raw))}: expected an ISO 8601 time such as 2026-12-01 or 2026-12-01T08:00Z, or a duration before now such as 24h or 7d`,
    );
  }
  return new Date(time);
}
