import { createServer, type Server } from 'node:net';

/**
 * Holds `port` on 127.0.0.1 so that a process under test finds it taken. Resolves null when the
 * port is already held by another process: taken either way, which is all a test needs.
 */
export async function occupyPort(port: number): Promise<Server | null> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Releases what occupyPort took (nothing when it found the port taken). */
export async function releasePort(server: Server | null): Promise<void> {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
