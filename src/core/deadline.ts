/**
 * Waits for `promise` at most `ms`; true if it settled in time. Used on the way out, where
 * Redis may be gone and a command queued for it would otherwise wait forever.
 */
export async function settledWithin(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!promise) return true;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
