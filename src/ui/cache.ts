/**
 * Reads shared by every open console: a value read less than `ttlMs` ago is served as it is,
 * and a read in flight is joined rather than repeated. However many browsers poll, Redis sees
 * at most one read of each kind per interval.
 */
export class SharedReads {
  private readonly entries = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(private readonly ttlMs: number) {}

  get<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.at < this.ttlMs) return entry.value as Promise<T>;
    const value = read();
    this.entries.set(key, { at: now, value });
    // A failed read is not kept: the next request tries again.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    this.prune(now);
    return value;
  }

  /** Forgets everything, after an action changed what the pages show. */
  clear(): void {
    this.entries.clear();
  }

  private prune(now: number): void {
    if (this.entries.size < 256) return;
    for (const [key, entry] of this.entries) if (now - entry.at >= this.ttlMs) this.entries.delete(key);
  }
}
