// Guide: Examples → "Multi-Environment Setup", and Django Integration → "Settings Configuration".
import { InvalidArgumentError, Turbine, type TurbineOptions } from 'turbine-tasks';

/** Different tenants for different environments. */
export const TENANTS = {
  dev: 'my-app-dev',
  staging: 'my-app-staging',
  prod: 'my-app-prod',
} as const;

export function tenantForEnvironment(env: string = process.env.ENV ?? 'dev'): string {
  if (!Object.hasOwn(TENANTS, env)) {
    throw new InvalidArgumentError(`Unknown ENV '${env}': expected one of ${Object.keys(TENANTS).join(', ')}`);
  }
  return TENANTS[env as keyof typeof TENANTS];
}

/** `@task(queue="jobs", tenant_id=tenant_id)`: the task is pinned to this environment's tenant. */
export function defineBackgroundJob(app: Turbine, env?: string) {
  return app.task({ name: 'background_job', queue: 'jobs', tenantId: tenantForEnvironment(env) }, async () => 'done');
}

/**
 * Django's `TURBINE_TENANT_ID = os.environ.get('TENANT_ID', 'default')`: one app whose
 * submissions default to the environment's tenant.
 */
export function createEnvironmentApp(options: TurbineOptions, env: NodeJS.ProcessEnv = process.env): Turbine {
  return new Turbine({ ...options, tenantId: env.TENANT_ID ?? 'default' });
}
