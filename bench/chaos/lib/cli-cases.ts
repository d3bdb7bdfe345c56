import { QUOTA_FLAGS, badName, badQuotaText, int, pick, validName, type Random } from './fuzz.js';

/** A tenant that exists before the CLI cases run (update cases target it). */
export const EXISTING_TENANT = 'fuzz-existing';

/** `turbine …` arguments that must be refused as bad usage or bad input (exit 2). */
export type CliCase = string[];

const fresh = (random: Random): string => `fresh-${validName(random, 8)}`;
const quotaFlag = (random: Random): string => `--${pick(random, QUOTA_FLAGS)}`;

// A comma in --allowed-queues separates names: a bad name there must not contain one.
const GENERATORS: ((random: Random) => CliCase)[] = [
  (r) => ['tenant', 'create', badName(r, true), 'Some name'],
  (r) => ['tenant', pick(r, ['get', 'stats', 'audit']), badName(r, true)],
  (r) => ['tenant', 'update', badName(r, true), '--name', 'x'],
  (r) => ['tenant', 'delete', badName(r, true), '--force'],
  (r) => ['tenant', 'create', fresh(r), 'Name', quotaFlag(r), badQuotaText(r)],
  (r) => ['tenant', 'update', EXISTING_TENANT, quotaFlag(r), badQuotaText(r)],
  (r) => ['tenant', 'update', EXISTING_TENANT, '--enabled', pick(r, ['yes', 'no', '1', '0', 'TRUE', 'False', 'on', '', 'maybe'])],
  (r) => ['tenant', 'create', fresh(r), 'Name', '--metadata', pick(r, ['novalue', '=value', '', 'key'])],
  (r) => ['tenant', pick(r, ['create', 'update']), fresh(r), 'Name', '--allowed-queues', `${pick(r, ['', 'ok,'])}${badName(r, true).replaceAll(',', '*') || ','}`],
  (r) => {
    const flag = quotaFlag(r);
    return ['tenant', 'create', fresh(r), 'Name', flag, String(int(r, 1, 9)), flag, String(int(r, 10, 99))];
  },
  (r) => [...pick(r, [['tenant', 'list'], ['tenant', 'get', EXISTING_TENANT], ['dlq', 'list']]), `--${pick(r, ['bogus', 'max-task-per-hour', 'enable', 'force-all', 'tenantid'])}`, 'x'],
  () => ['tenant', 'update', EXISTING_TENANT],
  (r) => ['tenant', 'create', fresh(r)],
  (r) => ['tenant', 'update', EXISTING_TENANT, '--name', pick(r, ['', '   ', 'n'.repeat(201)])],
  (r) => ['tenant', 'create', fresh(r), pick(r, ['   ', 'n'.repeat(int(r, 201, 300))])],
  (r) => [pick(r, ['tenants', 'tenat', 'queue', 'task', 'worker']), 'list'],
  (r) => ['tenant', pick(r, ['remove', 'show', 'edit', 'lst'])],
  (r) => ['dlq', 'list', `--${pick(r, ['limit', 'offset'])}`, pick(r, ['-1', 'abc', '1.5', '', 'ten'])],
  () => ['dlq', 'list', '--limit', '0'],
  (r) => ['dlq', 'list', '--tenant', badName(r, true) || '.x'],
  (r) => ['dlq', 'purge', '--older-than', pick(r, ['5', '5x', 'm', '1.5h', '', 'forever', '10 d', '-1d']), '--force'],
  (r) => ['dlq', pick(r, ['show', 'replay']), pick(r, ['no-colon', ':1', 'bad queue:1', 'work:', `${badName(r, true)}:7`])],
  (r) => ['dlq', 'purge', '--tenant', badName(r, true) || '.x', '--force'],
];

/** Case `index` of the seeded sequence. */
export function cliCase(random: Random): CliCase {
  return pick(random, GENERATORS)(random);
}
