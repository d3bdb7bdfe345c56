import type { CommandModule } from 'yargs';
import { LISTED_STATES, listTasks, type ListedState } from '../../../tasks/inspect.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { handler } from '../../run.js';
import { parseCountFlag } from '../dlq/shared.js';
import { renderTaskList, taskToJson } from './render.js';
import { taskScope, withTaskOptions, withTaskStore, type TaskArgs } from './shared.js';

interface ListArgs extends TaskArgs {
  state: ListedState | undefined;
  limit: string;
}

export const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: "List a tenant's unfinished and failed tasks, held ones included (which BullMQ's tools do not show)",
  builder: (yargs) =>
    withTaskOptions(yargs, 'Only tasks of this queue')
      .option('state', { type: 'string', choices: LISTED_STATES, describe: 'Only tasks in this state' })
      .option('limit', { type: 'string', default: '100', requiresArg: true, describe: 'Most tasks per state and queue' }),
  handler: handler(async (argv) => {
    const { tenantId, queue } = taskScope(argv);
    const limit = parseCountFlag('limit', argv.limit, 1);
    return withTaskStore(argv, tenantId, async (client, keys) => {
      const tasks = await listTasks(client, keys, tenantId, { queue, states: argv.state ? [argv.state] : undefined, limit });
      if (argv.json) printJson(tasks.map(taskToJson));
      else if (tasks.length === 0) print(`No tasks of tenant '${tenantId}'${queue ? ` in queue '${queue}'` : ''}${argv.state ? ` ${argv.state}` : ''}.`);
      else print(renderTaskList(tasks));
      return ExitCode.Ok;
    });
  }),
};
