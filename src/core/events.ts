/**
 * A typed event emitter (`area:verb` names). Listener exceptions are caught and reported on
 * `error` listeners (or dropped), so an observer can never break the code that emits: metrics
 * and logs must not fail a task. Listener lists are copied when changed, not when emitting,
 * since some events are emitted for every task.
 */
export class TypedEmitter<Events extends { [name: string]: unknown }> {
  private readonly listeners = new Map<string, readonly ((payload: never) => void)[]>();

  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (payload: never) => void]);
    return this;
  }

  off<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): this {
    const remaining = (this.listeners.get(event) ?? []).filter((l) => l !== listener);
    if (remaining.length) this.listeners.set(event, remaining);
    else this.listeners.delete(event);
    return this;
  }

  once<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): this {
    const wrapped = (payload: Events[E]): void => {
      this.off(event, wrapped);
      listener(payload);
    };
    return this.on(event, wrapped);
  }

  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Calls every listener; one that throws is skipped and the error reported, never rethrown. */
  protected safeEmit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    const listeners = this.listeners.get(event);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        (listener as (p: Events[E]) => void)(payload);
      } catch (error) {
        if (event !== 'error') this.safeEmit('error' as E, error as Events[E]);
      }
    }
  }
}
