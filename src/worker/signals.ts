import type { Logger } from './logger.js';
import type { WorkerRuntime } from './runtime.js';

const LAST_RESORT_MS = 20_000;

/**
 * SIGTERM or SIGINT drains the worker (running tasks finish within the grace period) and exits
 * 0; a second signal stops it at once, putting running tasks back in their queues.
 */
export function handleShutdownSignals(runtime: WorkerRuntime, logger: Logger): void {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) {
      logger.info({ signal }, 'shutting down gracefully; send the signal again to stop at once');
      // Every step of the shutdown is time-boxed; this is the last resort should one still hang.
      setTimeout(() => {
        logger.error('shutdown did not finish in time; exiting');
        process.exit(1);
      }, runtime.config.shutdownGraceMs + LAST_RESORT_MS).unref();
      runtime.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    } else {
      logger.warn({ signal }, 'stopping at once');
      void runtime.close({ force: true });
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
