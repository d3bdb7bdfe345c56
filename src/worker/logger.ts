import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (or `destination`). Secrets are redacted wherever they appear under these
 * names; URLs are logged through `redactUrl` by the code that logs them.
 */
export function createLogger(level: LevelWithSilent, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'turbine-worker', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['password', '*.password', 'backendUrl', '*.backendUrl', 'config.backendUrl'], censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
