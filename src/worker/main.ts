#!/usr/bin/env node
import yargs from 'yargs';
import { configFlagOptions, flagValues } from '../config/flags.js';
import { loadConfig } from '../config/load.js';
import { classify } from '../core/classify.js';
import { TurbineError } from '../core/errors.js';
import { loadTasks } from './app-loader.js';
import { createLogger } from './logger.js';
import { startWorker } from './start.js';
import { handleShutdownSignals } from './signals.js';

const argv = await yargs(process.argv.slice(2))
  .scriptName('turbine-worker')
  .usage('$0 --app ./dist/tasks.js [--queues emails,processing] [--concurrency 50] [--config file]')
  .options(configFlagOptions())
  .option('config', { type: 'string', describe: 'YAML or JSON configuration file [env TURBINE_CONFIG]' })
  .strict()
  .help()
  .fail((message, error) => {
    console.error(`Error: ${error?.message ?? message}\nRun 'turbine-worker --help' for usage.`);
    process.exit(2);
  })
  .parseAsync();

try {
  const { config } = loadConfig({ file: argv.config ?? process.env.TURBINE_CONFIG, flags: flagValues(argv) });
  if (!config.app) {
    throw new TurbineError('CONFIG_INVALID', 'No app to run: pass --app ./path/to/tasks.js (or set TURBINE_APP)');
  }
  const logger = createLogger(config.log.level);
  const { tasks } = await loadTasks(config.app);
  const { app: _app, ...options } = config;
  const runtime = await startWorker({ ...options, tasks: tasks.values(), logger });
  handleShutdownSignals(runtime, logger);
  await runtime.ready();
  logger.info({ queues: runtime.queues, tasks: [...tasks.keys()] }, 'consuming');
} catch (error) {
  const code = classify(error) === 'bad_input' ? 2 : 1;
  console.error(`Error: ${(error as Error).message}`);
  process.exit(code);
}
