#!/usr/bin/env node
import yargs from 'yargs';
import { knownFlags, suggestFlags } from '../cli/flag-suggestion.js';
import { configFlagOptions, flagValues } from '../config/flags.js';
import { loadConfig } from '../config/load.js';
import { classify } from '../core/classify.js';
import { TurbineError } from '../core/errors.js';
import { loadTasks } from './app-loader.js';
import { chooseHealthPort, healthPortMovedMessage, healthPortTakenError } from './health-port.js';
import { createLogger } from './logger.js';
import { startWorker } from './start.js';
import { handleShutdownSignals } from './signals.js';

const argv = await yargs(process.argv.slice(2))
  .scriptName('turbine-worker')
  .usage('$0 --app ./tasks.ts (or ./dist/tasks.js) [--queues emails,processing] [--pool premium] [--concurrency 50] [--config file]')
  .options(configFlagOptions())
  .option('config', { type: 'string', describe: 'YAML or JSON configuration file [env TURBINE_CONFIG]' })
  .strict()
  .help()
  .fail((message, error, context) => {
    console.error(`Error: ${suggestFlags(error?.message ?? message, knownFlags(context), process.argv.slice(2))}\nRun 'turbine-worker --help' for usage.`);
    process.exit(2);
  })
  .parseAsync();

try {
  const { config, sources, file } = loadConfig({ file: argv.config ?? process.env.TURBINE_CONFIG, flags: flagValues(argv) });
  if (!config.app) {
    throw new TurbineError('CONFIG_INVALID', 'No app to run: pass --app ./path/to/tasks.js (or set TURBINE_APP)');
  }
  const logger = createLogger(config.log.level);
  const { tasks } = await loadTasks(config.app);
  const { app: _app, ...options } = config;
  const portSource = sources['health.port'] ?? 'default';
  const healthPort = await chooseHealthPort(config.health.port, config.health.host, portSource);
  const runtime = await startWorker({ ...options, health: { ...options.health, port: healthPort.port }, tasks: tasks.values(), logger }).catch(
    (error: unknown) => {
      const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      throw taken ? healthPortTakenError(config.health.port, portSource, file) : error;
    },
  );
  if (healthPort.movedFrom !== null) {
    logger.warn({ port: runtime.healthPort, taken: healthPort.movedFrom }, healthPortMovedMessage(healthPort.movedFrom, runtime.healthPort));
  }
  handleShutdownSignals(runtime, logger);
  await runtime.ready();
  logger.info({ queues: runtime.queues, tasks: [...tasks.keys()] }, 'consuming');
} catch (error) {
  const code = classify(error) === 'bad_input' ? 2 : 1;
  console.error(`Error: ${(error as Error).message}`);
  process.exit(code);
}
