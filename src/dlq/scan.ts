import type { RedisClient } from '../store/connection.js';

/** Index members read per round trip when a queue filter has to look at every id. */
const PAGE = 1000;

/** Which members of a DLQ index (entry id → dead-at ms) to read. */
export interface IndexSelection {
  index: string;
  /** Only entries of this queue. There is no per-queue index: entry ids start with `<queue>:`. */
  queue?: string;
  /** Only entries dead-lettered at or before this time (ms), or `+inf`. */
  maxScore: string;
}

/** Entry ids newest first, after skipping `offset` matching ones, at most `limit`. */
export async function pageIds(
  client: RedisClient,
  selection: IndexSelection,
  offset: number,
  limit: number,
): Promise<string[]> {
  const { index, queue, maxScore } = selection;
  if (queue === undefined) return client.zrevrangebyscore(index, maxScore, '-inf', 'LIMIT', offset, limit);
  const out: string[] = [];
  let skip = offset;
  for (let start = 0; out.length < limit; start += PAGE) {
    const ids = await client.zrevrangebyscore(index, maxScore, '-inf', 'LIMIT', start, PAGE);
    for (const id of ids) {
      if (!id.startsWith(`${queue}:`)) continue;
      if (skip > 0) skip -= 1;
      else if (out.length < limit) out.push(id);
    }
    if (ids.length < PAGE) break;
  }
  return out;
}

/** How many entries the selection holds. */
export async function countIds(client: RedisClient, selection: IndexSelection): Promise<number> {
  const { index, queue, maxScore } = selection;
  if (queue === undefined) return client.zcount(index, '-inf', maxScore);
  let count = 0;
  for (let start = 0; ; start += PAGE) {
    const ids = await client.zrevrangebyscore(index, maxScore, '-inf', 'LIMIT', start, PAGE);
    count += ids.filter((id) => id.startsWith(`${queue}:`)).length;
    if (ids.length < PAGE) return count;
  }
}
