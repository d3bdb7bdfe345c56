/**
 * Says yes at most once per interval for a key, so that an error repeating during an outage
 * (every poll of every queue) is logged once, not thousands of times.
 */
export class LogLimiter {
  private readonly last = new Map<string, number>();

  constructor(private readonly intervalMs = 5000) {}

  firstTimeIn(key: string): boolean {
    const now = Date.now();
    if ((this.last.get(key) ?? 0) + this.intervalMs > now) return false;
    this.last.set(key, now);
    return true;
  }
}
