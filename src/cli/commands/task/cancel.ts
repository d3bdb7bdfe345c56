import type { CommandModule } from 'yargs';
import { cancelTask } from '../../../tasks/cancel.js';
import { resolveActor } from '../../../tenancy/actor.js';
import { assertTaskLookupId } from '../../../tenancy/validation.js';
import { ExitCode, errorLine } from '../../exit.js';
import { print, printJson, printNotice } from '../../output.js';
import { handler } from '../../run.js';
import { taskScope, withTaskOptions, withTaskStore, type TaskArgs } from './shared.js';

interface CancelArgs extends TaskArgs {
  'task-id': string;
}

const NOT_CANCELLED = {
  unknown: 'no such task of this tenant in this queue (finished long ago, or never submitted)',
  running: 'it is running; it will finish',
  finished: 'it has already finished',
};

export const cancelCommand: CommandModule<object, CancelArgs> = {
  command: 'cancel <task-id>',
  describe: "Cancel a task that has not started (waiting, held or delayed); its slot goes to the tenant's next task at once",
  builder: (yargs) =>
    withTaskOptions(
      yargs.positional('task-id', { type: 'string', demandOption: true, describe: 'Task id, as applyAsync returned it' }),
      'The task\'s queue',
    ),
  handler: handler(async (argv) => {
    const { tenantId, queue = 'default' } = taskScope(argv);
    const taskId = assertTaskLookupId(argv.taskId);
    return withTaskStore(argv, tenantId, async (client, keys) => {
      const outcome = await cancelTask(client, keys, { tenantId, queue, taskId }, { actor: resolveActor(argv.actor) });
      if (argv.json) {
        printJson({ task_id: taskId, tenant_id: tenantId, queue, cancelled: outcome.cancelled, ...(outcome.cancelled ? { state: outcome.state } : { reason: outcome.reason }) });
      } else if (outcome.cancelled) {
        print(`Cancelled task '${taskId}' of tenant '${tenantId}' (it was ${outcome.state})`);
      } else {
        printNotice(errorLine(`Not cancelled: ${NOT_CANCELLED[outcome.reason]}`));
      }
      return outcome.cancelled ? ExitCode.Ok : ExitCode.Failure;
    });
  }),
};
