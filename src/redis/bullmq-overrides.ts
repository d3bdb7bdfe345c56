import type { Redis } from 'ioredis';
import { isOutOfMemoryReply } from '../dispatcher/memory-pressure.js';
import { buildFunctionLibrary, type FunctionLibrary } from './function-library.js';
import { BULLMQ_VERSION, evalScript, loadScript, type ScriptArg, type ScriptName } from './scripts.js';

/** BullMQ commands that Turbine replaces with its own versions on a worker's connection. */
const OVERRIDES = ['moveToActive', 'moveToFinished'] as const satisfies readonly ScriptName[];

let library: FunctionLibrary | undefined;
// A worker keeps fetching and finishing tasks when Redis is full: finishing is what frees
// memory (retention removes old results), while producers are refused.
const turbineLibrary = (): FunctionLibrary => (library ??= buildFunctionLibrary(OVERRIDES, OVERRIDES));

type Mode = 'functions' | 'scripts';

/**
 * Installs Turbine's `moveToActive` and `moveToFinished` on a client before BullMQ uses it.
 * BullMQ defines a command only when the client does not have one of that name yet, and calls
 * it as `client[name](keysAndArgs)`; so a worker on this client fetches and finishes jobs
 * through Turbine's versions (BullMQ's script, then the slot claim or release) in the same
 * round trip. They run as Redis Functions (defined once per server, not once per call) where
 * the server allows it, else as EVAL scripts.
 */
export function installBullmqOverrides(client: Redis): void {
  let mode: Promise<Mode> | null = null;
  // Once known, read without awaiting: these run once per task.
  let known: Mode | null = null;
  const ensureLoaded = (): Promise<Mode> => {
    mode ??= loadLibrary(client).then(
      (loaded) => (known = loaded),
      (error: unknown) => {
        mode = null;
        throw error;
      },
    );
    return mode;
  };
  for (const command of OVERRIDES) {
    const run = async (keysAndArgs: (ScriptArg | Buffer)[], reloaded = false): Promise<unknown> => {
      if ((known ?? (await ensureLoaded())) === 'scripts') return evalScript(client, loadScript(command), keysAndArgs);
      const lib = turbineLibrary();
      try {
        return await client.call('FCALL', lib.functionName(command), lib.numberOfKeys(command), ...keysAndArgs);
      } catch (error) {
        // Functions are gone after a restart without persistence or a FUNCTION FLUSH: load again.
        if (!reloaded && error instanceof Error && /Function not found/i.test(error.message)) {
          mode = null;
          known = null;
          return run(keysAndArgs, true);
        }
        throw error;
      }
    };
    Object.defineProperty(client, `${command}:${BULLMQ_VERSION}`, { value: run, configurable: true, writable: true });
  }
}

async function loadLibrary(client: Redis): Promise<Mode> {
  try {
    await client.call('FUNCTION', 'LOAD', 'REPLACE', turbineLibrary().code);
    return 'functions';
  } catch (error) {
    // A full Redis refuses FUNCTION LOAD; a worker started then still runs if the library is there.
    if (isOutOfMemoryReply(error) && (await libraryLoaded(client))) return 'functions';
    // Redis before 7, or an account or service that does not allow FUNCTION: EVAL does the same.
    if (error instanceof Error && /unknown command|NOPERM|unknown subcommand|not allowed/i.test(error.message)) return 'scripts';
    throw error;
  }
}

async function libraryLoaded(client: Redis): Promise<boolean> {
  const libraries = (await client.call('FUNCTION', 'LIST', 'LIBRARYNAME', turbineLibrary().name)) as unknown[];
  return libraries.length > 0;
}
