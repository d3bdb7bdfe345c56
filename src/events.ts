import { EventEmitter } from 'node:events';

/**
 * An EventEmitter typed by an event map (`area:verb` names). Listener exceptions are caught
 * and reported on `error` listeners (or dropped), so an observer can never break the code
 * that emits: metrics and logs must not fail a task.
 */
export class TypedEmitter<Events extends { [name: string]: unknown }> {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(100);
  }

  on<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): this {
    this.emitter.on(event, listener);
    return this;
  }

  off<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): this {
    this.emitter.off(event, listener);
    return this;
  }

  once<E extends keyof Events & string>(event: E, listener: (payload: Events[E]) => void): this {
    this.emitter.once(event, listener);
    return this;
  }

  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.emitter.listenerCount(event);
  }

  /** Calls every listener; one that throws is skipped and the error reported, never rethrown. */
  protected safeEmit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (p: Events[E]) => void)(payload);
      } catch (error) {
        if (event !== 'error' && this.emitter.listenerCount('error') > 0) {
          this.emitter.emit('error', error);
        }
      }
    }
  }
}
