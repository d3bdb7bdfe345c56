import type { TaskContext, Turbine } from 'turbine-tasks';

/** Input of `process_request`: whatever JSON the client posted. */
export type RequestData = Record<string, unknown>;

/** The Python SDK's FastAPI task, on the `api-tasks` queue. */
export function defineServiceTasks(app: Turbine) {
  const processRequest = app.task(
    { name: 'process_request', queue: 'api-tasks' },
    async (data: RequestData, ctx: TaskContext) => ({ tenant: ctx.tenantId, keys: Object.keys(data).sort() }),
  );
  return { processRequest };
}

export type ServiceTasks = ReturnType<typeof defineServiceTasks>;
