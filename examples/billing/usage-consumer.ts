// A billing pipeline's consumer of Turbine's usage stream (`<prefix>:usage:events`, on with the
// worker option metering.stream). It reads with a consumer group, so several consumers share
// the events and each event is acknowledged once it is recorded; events left unacknowledged by
// a consumer that died are claimed again by the next one to start with the same name.
import type { Redis } from 'ioredis';

/** One usage event: `event` (accepted, rejected, started, succeeded, failed, dead_lettered), `tenant_id`, `at` (ms), … */
export type UsageEvent = Record<string, string>;

export interface ConsumerOptions {
  stream: string; // e.g. 'turbine:usage:events'
  group: string; // e.g. 'billing'
  consumer: string; // this process, e.g. the host name
  record: (id: string, event: UsageEvent) => Promise<void>;
  signal: AbortSignal;
}

export async function consumeUsageEvents(redis: Redis, { stream, group, consumer, record, signal }: ConsumerOptions): Promise<void> {
  // From the start of the stream on first use; an existing group keeps its position.
  await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error: Error) => {
    if (!error.message.includes('BUSYGROUP')) throw error;
  });
  let start = '0'; // first this consumer's unacknowledged events, then new ones ('>')
  while (!signal.aborted) {
    const reply = (await redis.xreadgroup('GROUP', group, consumer, 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', stream, start)) as
      | [string, [string, string[]][]][]
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (start === '0' && entries.length === 0) start = '>';
    for (const [id, fields] of entries) {
      const event: UsageEvent = {};
      for (let i = 0; i < fields.length; i += 2) event[fields[i]!] = fields[i + 1]!;
      await record(id, event);
      await redis.xack(stream, group, id);
    }
  }
}
