import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Why the worker is not ready, or an empty list when it is. */
export type ReadinessCheck = () => string[];

/**
 * The worker's HTTP port: `/healthz` answers while the process is alive, `/readyz` while it is
 * connected to Redis and consuming, and other routes (such as `/metrics`) are added by their
 * owners.
 */
export class HealthServer {
  private readonly server: Server;
  private readonly routes = new Map<string, RouteHandler>();

  constructor(private readonly readiness: ReadinessCheck) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.routes.set('/healthz', (_req, res) => send(res, 200, { status: 'ok' }));
    this.routes.set('/readyz', (_req, res) => {
      const problems = this.readiness();
      send(res, problems.length ? 503 : 200, problems.length ? { status: 'not ready', problems } : { status: 'ready' });
    });
  }

  addRoute(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler);
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = this.routes.get(path);
    if (!route) return send(res, 404, { error: `no route ${path}; try /healthz, /readyz or /metrics` });
    try {
      await route(req, res);
    } catch (error) {
      if (!res.headersSent) send(res, 500, { error: (error as Error).message });
      else res.end();
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
