// Runs the example service and, for a one-process demo, a worker for its tasks:
//   TURBINE_BACKEND_URL=redis://localhost:6379 PORT=3000 tsx examples/http-service/main.ts  (any TypeScript runner)
//   turbine tenant create acme "ACME"
//   curl -XPOST -H 'X-Tenant-ID: acme' -H 'content-type: application/json' -d '{"a":1}' localhost:3000/process
// In production run the worker as its own process (turbine-worker) from the same task module.
import { TenantManager, Turbine, startWorker } from 'turbine-tasks';
import { createService } from './service.js';

const app = new Turbine();
const manager = new TenantManager();
const service = await createService({ app, manager, port: Number(process.env.PORT ?? 3000), host: '0.0.0.0' });
const worker = await startWorker({ app, health: { port: 0 } });
console.log(`listening on ${service.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await service.close();
      await worker.close();
      await Promise.all([app.close(), manager.close()]);
    })();
  });
}
