import type { TestProject } from 'vitest/node';
import { RedisServer } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * One Redis for the whole run, picked in this order: TURBINE_TEST_REDIS_URL; a redis-server
 * spawned on a free port (stopped at the end); a Redis container (testcontainers, needs Docker).
 * Tests isolate themselves with a key prefix of their own (see helpers/context.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.TURBINE_TEST_REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return async () => undefined;
  }
  if (RedisServer.isAvailable()) {
    const server = await RedisServer.start();
    project.provide('redisUrl', server.url);
    return () => server.close();
  }
  const { GenericContainer } = await import('testcontainers').catch(() => {
    throw new Error('No Redis for the tests: install redis-server (apt-get install -y redis-server), start Docker, or set TURBINE_TEST_REDIS_URL');
  });
  const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
  project.provide('redisUrl', `redis://${container.getHost()}:${container.getMappedPort(6379)}`);
  return async () => {
    await container.stop();
  };
}
