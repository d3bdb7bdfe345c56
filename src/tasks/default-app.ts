import { Turbine } from './app.js';
import type { TaskDefinition } from './task.js';
import type { AnyHandler, ArgsOf, ResultOf, TaskOptions } from './types.js';

let defaultApp: Turbine | undefined;

/**
 * The app behind the module-level {@link task}, configured from the environment
 * (`TURBINE_BACKEND_URL`, `TURBINE_TENANT_ID`, `TURBINE_PREFIX`), like the Python SDK's Django setting.
 */
export function getDefaultApp(): Turbine {
  defaultApp ??= new Turbine({ tenantId: process.env.TURBINE_TENANT_ID || undefined });
  return defaultApp;
}

/** Defines a task on the default app. */
export function task<H extends AnyHandler>(options: TaskOptions, handler: H): TaskDefinition<ArgsOf<H>, ResultOf<H>> {
  return getDefaultApp().task(options, handler);
}

/** Closes the default app's connections (the next `task()` call opens a new app). */
export async function closeDefaultApp(): Promise<void> {
  const app = defaultApp;
  defaultApp = undefined;
  await app?.close();
}
