import type { CommandModule } from 'yargs';
import { TaskNotFoundError } from '../../../core/errors.js';
import { showTask } from '../../../tasks/inspect.js';
import { assertTaskLookupId } from '../../../tenancy/validation.js';
import { ExitCode } from '../../exit.js';
import { print, printJson } from '../../output.js';
import { handler } from '../../run.js';
import { renderTask, taskToJson } from './render.js';
import { taskScope, withTaskOptions, withTaskStore, type TaskArgs } from './shared.js';

interface ShowArgs extends TaskArgs {
  'task-id': string;
}

export const showCommand: CommandModule<object, ShowArgs> = {
  command: 'show <task-id>',
  describe: 'Show where a task is; for a held task, why it waits and its place in line',
  builder: (yargs) =>
    withTaskOptions(
      yargs.positional('task-id', { type: 'string', demandOption: true, describe: 'Task id, as applyAsync returned it' }),
      'The task\'s queue (default: look in every queue of the tenant)',
    ),
  handler: handler(async (argv) => {
    const { tenantId, queue } = taskScope(argv);
    const taskId = assertTaskLookupId(argv.taskId);
    return withTaskStore(argv, tenantId, async (client, keys) => {
      const task = await showTask(client, keys, tenantId, taskId, { queue });
      if (!task) throw new TaskNotFoundError(queue ?? 'any', taskId);
      if (argv.json) printJson(taskToJson(task));
      else print(renderTask(task));
      return ExitCode.Ok;
    });
  }),
};
