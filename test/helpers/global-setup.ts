import type { TestProject } from 'vitest/node';
import { RedisServer } from './redis-server.js';
import { findToolSource, type Tool } from './tool-source.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

const REDIS: Tool = {
  name: 'Redis',
  binaries: ['redis-server'],
  image: 'redis:7-alpine',
  install: 'apt-get install -y redis-server',
};

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
  const source = await findToolSource(REDIS);
  if (source.kind === 'missing') throw new Error(`${source.message} Or set TURBINE_TEST_REDIS_URL.`);
  if (source.kind === 'binary') {
    const server = await RedisServer.start();
    project.provide('redisUrl', server.url);
    return () => server.close();
  }
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer(source.image).withExposedPorts(6379).start();
  project.provide('redisUrl', `redis://${container.getHost()}:${container.getMappedPort(6379)}`);
  return async () => {
    await container.stop();
  };
}
