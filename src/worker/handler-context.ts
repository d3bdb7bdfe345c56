import type { TaskContext } from '../tasks/types.js';

/**
 * The context handed to a task's handler: the fields of {@link TaskContext}, each its own
 * enumerable property (as in an object literal, so spreading it keeps `signal`). `signal` is
 * read when asked for (the run makes its AbortController only then) through a getter shared by
 * every context: a getter made per task, as in a literal, gives each context a shape of its own,
 * which V8 has to allocate, on the path of every task.
 */
export class HandlerContext implements TaskContext {
  static readonly #signal: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: HandlerContext): AbortSignal {
      return this.#run.signal;
    },
  };

  readonly #run: { readonly signal: AbortSignal };
  declare readonly signal: AbortSignal;

  constructor(
    readonly taskId: string,
    readonly tenantId: string,
    readonly queue: string,
    readonly taskName: string,
    readonly attempt: number,
    run: { readonly signal: AbortSignal },
  ) {
    this.#run = run;
    Object.defineProperty(this, 'signal', HandlerContext.#signal);
  }
}
