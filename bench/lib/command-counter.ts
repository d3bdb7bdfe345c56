import { Redis } from 'ioredis';

/** Commands as clients of this process sent them: what Redis counts as top-level calls. */
export interface ClientCounts {
  commands: number;
  /** Standalone commands plus pipelines (a pipeline is one round trip). */
  roundTrips: number;
  byName: Map<string, number>;
}

type SendArgs = Parameters<Redis['sendCommand']>;

const empty = (): ClientCounts => ({ commands: 0, roundTrips: 0, byName: new Map() });
let active = false;
let counted = empty();
let excludedCounts = empty();
const excluded = new WeakSet<Redis>();
let installed = false;

/**
 * Counts the commands every ioredis client in this process sends (BullMQ's and Turbine's
 * alike), by patching `Redis.prototype.sendCommand`, which standalone and pipelined commands
 * both go through. INFO commandstats cannot tell a top-level call from one made inside a Lua
 * script; this can. Commands of excluded clients (the bench's own) are tallied apart, so they
 * can be subtracted from the server's figures.
 */
export function installCommandCounter(): void {
  if (installed) return;
  installed = true;
  const original = Redis.prototype.sendCommand;
  const pipelines = new WeakSet<object>();
  Redis.prototype.sendCommand = function patched(this: Redis, ...args: SendArgs) {
    if (active) {
      const [command, stream] = args;
      const into = excluded.has(this) ? excludedCounts : counted;
      into.commands += 1;
      const name = command.name.toLowerCase(); // `call("FCALL", …)` keeps the caller's case
      into.byName.set(name, (into.byName.get(name) ?? 0) + 1);
      const pipelined = typeof stream === 'object' && stream !== null && 'isPipeline' in stream;
      if (!pipelined) into.roundTrips += 1;
      else if (!pipelines.has(stream)) {
        pipelines.add(stream);
        into.roundTrips += 1;
      }
    }
    return original.apply(this, args);
  } as Redis['sendCommand'];
}

export function excludeClient(client: Redis): void {
  excluded.add(client);
}

export function startCounting(): void {
  counted = empty();
  excludedCounts = empty();
  active = true;
}

/** Stops counting; returns what counted clients sent and what excluded ones sent. */
export function stopCounting(): { counted: ClientCounts; excluded: ClientCounts } {
  active = false;
  return { counted, excluded: excludedCounts };
}
