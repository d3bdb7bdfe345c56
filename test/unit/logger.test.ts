import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogger, taskLineLogger } from '../../src/worker/logger.js';

/** A destination that keeps each line pino writes. */
function captured(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe('worker logger', () => {
  it('writes JSON lines with an ISO time, the level by name and secrets redacted', async () => {
    const { lines, stream } = captured();
    const logger = createLogger('info', stream);
    const before = Date.now();
    logger.info({ config: { backendUrl: 'redis://:secret@host' } }, 'started');
    for (let i = 0; i < 3; i++) logger.info({ taskId: String(i) }, 'task finished');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Date.parse(line.time as string)).toBeGreaterThanOrEqual(before - 1);
      expect(line.level).toBe('info');
    }
    expect(lines[0]).toMatchObject({ msg: 'started', config: { backendUrl: '***' } });
    expect(lines.slice(1).map((l) => l.taskId)).toEqual(['0', '1', '2']);
  });

  it("writes each task's line as the logger would, without its redaction pass, and at the logger's level", async () => {
    const { lines, stream } = captured();
    const logger = createLogger('info', stream);
    const taskLines = taskLineLogger(logger);
    const line = { tenantId: 'acme', queue: 'emails', task: 'send', taskId: '01J', outcome: 'succeeded', durationMs: 3, attempt: 1 };
    logger.info(line, 'task finished');
    taskLines.info(line, 'task finished');
    logger.level = 'warn';
    taskLines.info(line, 'task finished');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    const withoutTime = lines.map(({ time: _time, ...rest }) => JSON.stringify(rest));
    expect(withoutTime[1]).toBe(withoutTime[0]);
  });

  it('leaves a logger passed in as it is for task lines', () => {
    const own = pino({ level: 'info', redact: ['tenantId'] });
    expect(taskLineLogger(own)).toBe(own);
  });
});
