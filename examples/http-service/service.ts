import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import { TaskFailedError, TaskNotFoundError, type TenantManager, type Turbine } from 'turbine-tasks';
import { expressErrorHandler, expressTenant, tenantOf, type TenantStrategy } from 'turbine-tasks/http';
import { defineServiceTasks, type RequestData, type ServiceTasks } from './tasks.js';

export interface ServiceOptions {
  /** The Turbine app to submit with; the service defines its tasks on it. */
  app: Turbine;
  /** Checks each request's tenant exists (404) and is enabled (403) before any work. */
  manager: TenantManager;
  /** @defaultValue the `X-Tenant-ID` header */
  strategies?: TenantStrategy<Request>[];
  /** 0 picks a free port. @defaultValue 0 */
  port?: number;
  /** @defaultValue 127.0.0.1 */
  host?: string;
  /** Largest JSON body the server reads; tenants' `max_task_size_bytes` apply below it. @defaultValue 1mb */
  bodyLimit?: string;
  /**
   * Express `trust proxy`: set it only behind a proxy you run, or clients can pick their
   * subdomain tenant with X-Forwarded-Host. @defaultValue false
   */
  trustProxy?: boolean | string;
}

export interface RunningService {
  url: string;
  server: Server;
  tasks: ServiceTasks;
  close(): Promise<void>;
}

/** What `GET /tasks/:id` answers. */
export interface TaskView {
  task_id: string;
  status: string;
  result?: unknown;
  error?: string;
}

/**
 * The Python SDK's FastAPI endpoint as an Express service: `POST /process` submits a task for the
 * request's tenant, `GET /tasks/:id` reads it back (only for that tenant), and every Turbine
 * refusal becomes an HTTP answer (404, 403, 413, 429 with Retry-After).
 */
export async function createService(options: ServiceOptions): Promise<RunningService> {
  const { app } = options;
  const tasks = defineServiceTasks(app);
  const tenant = expressTenant({ manager: options.manager, strategies: options.strategies });
  const queue = tasks.processRequest.queue;

  const http = express();
  http.disable('x-powered-by');
  http.set('trust proxy', options.trustProxy ?? false);
  http.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  const api = express.Router();
  // The tenant first: a request for an unknown tenant is refused before its body is read.
  api.use(tenant, express.json({ limit: options.bodyLimit ?? '1mb' }));
  api.post('/process', async (req, res) => {
    const data = (req.body ?? {}) as RequestData;
    const result = await tasks.processRequest.applyAsync({ args: [data], tenantId: tenantOf(req) });
    res.status(202).location(`/tasks/${result.taskId}`).json({ task_id: result.taskId, status: result.placement });
  });
  api.get('/tasks/:id', async (req, res) => {
    const id = String(req.params.id);
    // Another tenant's task raises TenantMismatchError, which the error handler answers 404.
    const handle = app.result(id, { tenantId: tenantOf(req), queue });
    const status = await handle.status();
    if (status === 'unknown') throw new TaskNotFoundError(queue, id);
    const view: TaskView = { task_id: id, status };
    if (status === 'completed' || status === 'failed') {
      try {
        view.result = await handle.get({ timeoutMs: 1000 });
      } catch (error) {
        if (!(error instanceof TaskFailedError)) throw error;
        view.error = error.reason;
      }
    }
    res.json(view);
  });
  http.use(api);
  http.use(expressErrorHandler({ onServerError: (error) => console.error('request failed', error) }));

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = http.listen(options.port ?? 0, options.host ?? '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    tasks,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await tenant.resolver.close();
    },
  };
}
