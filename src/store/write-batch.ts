import { isCluster, type RedisClient } from './connection.js';

/**
 * Most commands a burst writes to the socket at once. A worker at full speed gets the replies
 * of many fetches and finishes in one read, and each job it then finishes sends its next call
 * in the same tick of the event loop. Sent one by one, each call is a write to the socket
 * (a system call, and on the same host the kernel's delivery to Redis, most of a no-op task's
 * CPU time in the worker). Held for the whole tick instead, a burst of 50 goes out at once and
 * Redis and the worker take turns, each idle while the other works: measured with benchmark
 * 1's workload, 8 to 16 per write kept both busy and cut the worker's CPU time per task by a
 * fifth; the whole tick lowered the rate by a third.
 */
export const WRITE_BATCH = 8;

/**
 * Gathers the commands a connection sends in one tick of the event loop into writes of up to
 * {@link WRITE_BATCH}, as Nagle's algorithm does for TCP: `hold()` before sending a command
 * corks the connection's socket; it is uncorked when the batch is full or the tick ends,
 * whichever comes first. Order and replies are the connection's as ever; a command waits at
 * most until the end of the tick it was sent in. Code that runs in that tick (another task's
 * handler starting, for one) runs before the held commands go out: a handler that computes
 * for long without awaiting holds up to WRITE_BATCH - 1 other tasks' finishes meanwhile,
 * which its blocked event loop would hold up anyway (their replies could not be read).
 * A Redis Cluster client writes to each node's connection: not batched.
 */
export class WriteBatch {
  private held = 0;
  /** The socket corked for this tick (a reconnect may replace the connection's meanwhile). */
  private corked: { uncork(): void; cork(): void } | null = null;
  private readonly endOfTick = (): void => this.flush();

  constructor(private readonly client: RedisClient) {}

  /** Called just before a command is sent on the connection: it joins this tick's batch. */
  hold(): void {
    if (this.held === 0) {
      if (isCluster(this.client)) return;
      const socket = this.client.stream;
      if (!socket?.writable) return;
      socket.cork();
      this.corked = socket;
      process.nextTick(this.endOfTick);
    } else if (this.held === WRITE_BATCH) {
      // Full: what is held goes out, and this command starts the next batch.
      this.corked?.uncork();
      this.corked?.cork();
      this.held = 0;
    }
    this.held += 1;
  }

  private flush(): void {
    this.corked?.uncork();
    this.corked = null;
    this.held = 0;
  }
}
