import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatcherScripts } from '../../src/dispatcher/scripts.js';
import { buildFunctionLibrary } from '../../src/store/function-library.js';

// BullMQ's own promotion of due delayed jobs: its range read, as the installed BullMQ writes it.
const bullmqPromotionFile = path.join(
  path.dirname(createRequire(import.meta.url).resolve('bullmq/package.json')),
  'dist/esm/commands/includes/promoteDelayedJobs.lua',
);
const bullmqRangeRead = /rcall\("ZRANGEBYSCORE", delayedKey.*\n/.exec(readFileSync(bullmqPromotionFile, 'utf8'))![0];

describe('@replace: a BullMQ include that Turbine replaces in the commands it wraps', () => {
  const { moveToActive, moveToFinished } = dispatcherScripts;

  it('is left out of the EVAL scripts, with Turbine’s text in its place', () => {
    for (const script of [moveToActive, moveToFinished]) {
      expect(script.lua).not.toContain(bullmqRangeRead);
      expect(script.lua).toContain('local function promoteDelayedJobs() end');
      // The directive itself does not reach Redis.
      expect(script.lua).not.toContain('--- @replace');
    }
  });

  it('is left out of the Functions library, defined once there', () => {
    const { code } = buildFunctionLibrary([moveToActive, moveToFinished]);
    expect(code).not.toContain(bullmqRangeRead);
    expect(code.match(/local function promoteDelayedJobs\b/g)).toHaveLength(1);
    expect(code).not.toContain('--- @replace');
  });

  it('leaves the rest of BullMQ’s fetch in place (the range read is what its promotion alone does)', () => {
    // BullMQ's fetch still reads the delayed set for when the next job comes due.
    expect(moveToActive.lua).toContain('local function getNextDelayedTimestamp');
    expect(moveToActive.lua).toContain('getNextDelayedTimestamp(delayedKey)');
  });
});
