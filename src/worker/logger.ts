import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

let stdout: ReturnType<typeof pino.destination> | null = null;

/** Loggers made by {@link createLogger}, whose redaction is known (see {@link taskLineLogger}). */
const ownLoggers = new WeakSet<Logger>();

/**
 * Standard output, written asynchronously: a worker at `info` logs a line per task, and a
 * synchronous write per line costs the worker a system call on the path of every task. Lines
 * written while a write is in flight go out together with the next one; what is still buffered
 * when the process exits is written then, synchronously. One stream for every logger of the
 * process, so one exit hook.
 */
function asyncStdout(): DestinationStream {
  if (!stdout) {
    const stream = (stdout = pino.destination({ dest: 1, sync: false }));
    process.once('exit', () => {
      try {
        stream.flushSync();
      } catch {
        // Nothing more can be done for lines lost at exit (stdout closed, stream not open yet).
      }
    });
  }
  return stdout;
}

/**
 * pino's ISO time, formatted once per millisecond: a worker at `info` writes several lines in
 * the same millisecond, and formatting a date is a good part of a line's cost.
 */
function isoTimeOncePerMs(): () => string {
  let lastMs = -1;
  let last = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      last = `,"time":"${new Date(now).toISOString()}"`;
    }
    return last;
  };
}

/**
 * JSON logs on stdout (or `destination`). Secrets are redacted wherever they appear under these
 * names; URLs are logged through `redactUrl` by the code that logs them.
 */
export function createLogger(level: LevelWithSilent, destination: DestinationStream = asyncStdout()): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'turbine-worker', pid: process.pid },
      timestamp: isoTimeOncePerMs(),
      redact: { paths: ['password', '*.password', 'backendUrl', '*.backendUrl', 'config.backendUrl'], censor: '***' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  ownLoggers.add(logger);
  return logger;
}

/**
 * The logger of the line every task writes at info ('task finished'). For a logger made by
 * {@link createLogger}: a child without its redaction, which could find nothing to hide in that
 * line (ids and numbers) but would cost pino a pass over each of its fields, since paths like
 * `*.password` apply under any key. A logger passed in is used as it is.
 */
export function taskLineLogger(logger: Logger): Logger {
  return ownLoggers.has(logger) ? logger.child({}, { redact: [] }) : logger;
}
