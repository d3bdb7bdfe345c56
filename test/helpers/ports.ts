import { createServer, type Server } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

function listenOnce(port: number): Promise<Server | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Holds `port` on 127.0.0.1 so that a process under test finds it taken. Another test file may
 * hold the same port (the worker's default) for a moment: this waits until it holds the port
 * itself, so the port stays taken for as long as the caller needs, whoever else lets it go.
 */
export async function occupyPort(port: number, timeoutMs = 15_000): Promise<Server> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const server = await listenOnce(port);
    if (server) return server;
    if (Date.now() > deadline) throw new Error(`Port ${port} stayed taken by another process for ${timeoutMs} ms`);
    await delay(50);
  }
}

/** Releases what occupyPort took. */
export async function releasePort(server: Server | null): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
