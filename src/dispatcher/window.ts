/**
 * The dispatch window: how many of one tenant's tasks may wait in a queue's shared wait list
 * at once. Small enough that a quiet tenant's task waits behind at most a window of each busy
 * tenant's tasks; large enough that workers never run dry between promotions. Workers publish
 * their concurrency per queue, and the reconciler sets each queue's window from the total
 * (`P:dispatch:window`); until it has, scripts use their default.
 */
export const DEFAULT_DISPATCH_WINDOW = 100; // DEFAULT_WINDOW in lua/includes/slots.lua; a test holds them equal

/** The window for a queue from the total concurrency of the workers consuming it. */
export function windowForCapacity(totalConcurrency: number, factor: number, minimum: number): number {
  return Math.max(minimum, Math.ceil(totalConcurrency * factor));
}
