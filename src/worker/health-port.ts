import { createServer } from 'node:net';
import type { ConfigSource } from '../config/load.js';
import { ConfigError } from '../core/errors.js';

export interface HealthPortChoice {
  /** The port to listen on (0: any free one). */
  port: number;
  /** The default port, when it was taken and the worker moves to a free one. */
  movedFrom: number | null;
}

/**
 * Several workers on one host is normal (systemd units, pm2, a laptop), so a taken default port
 * moves the worker to a free one; a port the user chose is kept, and a clash is their error.
 */
export async function chooseHealthPort(port: number, host: string, source: ConfigSource): Promise<HealthPortChoice> {
  if (source !== 'default' || port === 0 || (await isFree(port, host))) return { port, movedFrom: null };
  return { port: 0, movedFrom: port };
}

/** The error for a chosen health port that is taken, naming where the choice was made. */
export function healthPortTakenError(port: number, source: ConfigSource, file: string | undefined): ConfigError {
  const where = {
    flag: '--health-port',
    env: 'TURBINE_HEALTH_PORT',
    file: `health.port in ${file ?? 'the configuration file'}`,
    default: 'the default',
  }[source];
  return new ConfigError(
    `Health port ${port} (from ${where}) is already in use, perhaps by another worker on this host: ` +
      'pass a free port with --health-port, or --health-port 0 for any free one',
  );
}

/** What to tell the user when the default port was taken and a free one is served instead. */
export function healthPortMovedMessage(taken: number, port: number | null): string {
  return `health port ${taken} is in use (another worker on this host?); serving on ${String(port)} instead; pass --health-port to choose`;
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
