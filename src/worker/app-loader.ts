import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { Turbine } from '../tasks/app.js';
import { TaskDefinition } from '../tasks/task.js';
import { prepareTypeScript } from './typescript-loader.js';

/**
 * Imports the `--app` module and collects the tasks it defines: those of a default-exported (or
 * exported) Turbine app, and exported task definitions.
 */
export async function loadTasks(modulePath: string): Promise<{ tasks: Map<string, TaskDefinition>; apps: Turbine[] }> {
  const absolute = path.resolve(modulePath);
  if (!existsSync(absolute)) {
    throw new ConfigError(
      `The app module ${modulePath} does not exist (looked for ${absolute}). Pass the file that defines ` +
        'your tasks: a .ts file runs as is, compiled output needs a build first (npx tsc)',
    );
  }
  await prepareTypeScript(absolute, modulePath);
  const url = pathToFileURL(absolute).href;
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const message = (error as Error).message;
    // An ESM app (import/export) in a project whose package.json does not say so.
    const hint = /require\(\) ES Module|outside a module/.test(message) ? '; set "type": "module" in its package.json' : '';
    throw new ConfigError(`Cannot load the app module ${modulePath}: ${message}${hint}`);
  }
  const exported = [...new Set(Object.values(module))];
  const apps = exported.filter((v): v is Turbine => v instanceof Turbine);
  const tasks = new Map<string, TaskDefinition>();
  const add = (definition: TaskDefinition): void => {
    const existing = tasks.get(definition.name);
    if (existing && existing !== definition) {
      throw new ConfigError(`The app module ${modulePath} defines two tasks named '${definition.name}'`);
    }
    tasks.set(definition.name, definition);
  };
  for (const app of apps) for (const definition of app.tasks.values()) add(definition);
  for (const value of exported) if (value instanceof TaskDefinition) add(value);
  if (tasks.size === 0) {
    throw new ConfigError(
      `The app module ${modulePath} exports no tasks: export your task definitions or a (default) Turbine app`,
    );
  }
  return { tasks, apps };
}
