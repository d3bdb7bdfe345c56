import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITE_BATCH, WriteBatch } from '../../src/store/write-batch.js';
import { RedisServer } from '../helpers/redis-server.js';

/** A worker's fetch-and-finish calls of one tick go to Redis in writes of up to WRITE_BATCH. */

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await RedisServer.start();
  client = new Redis(server.url);
  await client.ping();
});

afterAll(async () => {
  client.disconnect();
  await server.close();
});

/** Counts the writes the client's socket makes (each a system call) while `run` runs. */
async function socketWrites(run: () => Promise<unknown>): Promise<number> {
  const socket = client.stream as Socket & {
    _write: (...args: unknown[]) => void;
    _writev: (...args: unknown[]) => void;
  };
  let writes = 0;
  const write = socket._write;
  const writev = socket._writev;
  socket._write = (...args) => {
    writes += 1;
    write.apply(socket, args);
  };
  socket._writev = (...args) => {
    writes += 1;
    writev.apply(socket, args);
  };
  try {
    await run();
  } finally {
    socket._write = write;
    socket._writev = writev;
  }
  return writes;
}

describe('WriteBatch', () => {
  it('writes each command on its own without it', async () => {
    expect(await socketWrites(() => Promise.all(Array.from({ length: 20 }, () => client.ping())))).toBe(20);
  });

  it(`writes a tick's commands in batches of ${WRITE_BATCH}, in order`, async () => {
    const batch = new WriteBatch(client);
    let replies: string[] = [];
    const writes = await socketWrites(async () => {
      replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          batch.hold();
          return client.echo(`reply ${i}`);
        }),
      );
    });
    expect(writes).toBe(Math.ceil(20 / WRITE_BATCH));
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => `reply ${i}`));
  });

  it('sends a command at the end of its tick: one awaited after another each go out', async () => {
    const batch = new WriteBatch(client);
    const writes = await socketWrites(async () => {
      for (let i = 0; i < 3; i++) {
        batch.hold();
        expect(await client.ping()).toBe('PONG');
      }
    });
    expect(writes).toBe(3);
  });
});
