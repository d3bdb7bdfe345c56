import { isOutOfMemoryReply } from '../core/classify.js';
import { isCluster, type RedisClient } from './connection.js';
import { buildFunctionLibrary, type FunctionLibrary } from './function-library.js';
import { ALLOW_OOM_SHEBANG, type LuaScript, type ScriptArg } from './scripts.js';
import type { WriteBatch } from './write-batch.js';

/**
 * `scripts-allow-oom`: EVAL scripts with the `allow-oom` shebang flag (Redis 7 or later);
 * `scripts`: plain EVAL scripts (Redis before 7, which has no script flags).
 */
type Mode = 'functions' | 'scripts-allow-oom' | 'scripts';

/**
 * Runs a few hot scripts as one Redis Functions library (defined once per server, not on every
 * call), or as EVAL scripts where the server does not allow FUNCTION (Redis before 7, or an
 * account or managed service that forbids it). The library is loaded on first use and again
 * when a server has lost it (a restart without persistence, a FUNCTION FLUSH, a cluster node
 * added or promoted since).
 */
export class FunctionRunner {
  private readonly library: FunctionLibrary;
  private mode: Promise<Mode> | null = null;
  /** Once known, read without awaiting: these scripts run once per task. */
  private known: Mode | null = null;

  /**
   * `scripts` are registered with Redis's `allow-oom` flag: a worker keeps fetching and
   * finishing tasks when Redis is full, since finishing is what frees memory (retention removes
   * old results), while producers are refused. As EVAL scripts they carry the same flag on
   * Redis 7 or later; before 7 a script may not write at maxmemory unless it already has (Redis
   * checks only a script's first write), so a worker there relies on producers' high-water mark
   * keeping Redis below maxmemory.
   */
  constructor(
    private readonly client: RedisClient,
    scripts: readonly LuaScript[],
    /** False for a producer's scripts, which Redis refuses when full (see above). */
    private readonly allowOom = true,
    /** Where the calls of a burst are gathered into fewer writes (a worker's fetches and finishes). */
    private readonly writes?: WriteBatch,
  ) {
    this.library = libraryFor(scripts, allowOom);
  }

  async run(script: LuaScript, keysAndArgs: readonly (ScriptArg | Buffer)[], reloaded = false): Promise<unknown> {
    const mode = this.known ?? (await this.ensureLoaded());
    this.writes?.hold();
    if (mode !== 'functions') return script.evaluate(this.client, keysAndArgs, this.allowOom && mode === 'scripts-allow-oom');
    try {
      // One array argument: ioredis's call() shifts its rest arguments, which for the thirty of
      // a fetch or finish cost more than the rest of building the command.
      return await this.client.call('FCALL', [this.library.functionName(script), script.numberOfKeys, ...keysAndArgs]);
    } catch (error) {
      if (!reloaded && error instanceof Error && /Function not found/i.test(error.message)) {
        this.mode = null;
        this.known = null;
        return this.run(script, keysAndArgs, true);
      }
      throw error;
    }
  }

  private ensureLoaded(): Promise<Mode> {
    this.mode ??= this.load().then(
      (loaded) => (this.known = loaded),
      (error: unknown) => {
        this.mode = null;
        throw error;
      },
    );
    return this.mode;
  }

  private async load(): Promise<Mode> {
    try {
      // FUNCTION LOAD goes to one node: on a cluster, every primary needs the library, since
      // FCALL runs where the keys are. Replicas copy it from their primary.
      const nodes = isCluster(this.client) ? this.client.nodes('master') : [this.client];
      if (nodes.length === 0) throw new Error('Redis Cluster has no primary known yet');
      await Promise.all(nodes.map((node) => node.call('FUNCTION', 'LOAD', 'REPLACE', this.library.code)));
      return 'functions';
    } catch (error) {
      // A full Redis refuses FUNCTION LOAD; a worker started then still runs if the library is there.
      if (isOutOfMemoryReply(error) && (await this.libraryLoaded())) return 'functions';
      // Redis before 7, or an account or service that does not allow FUNCTION: EVAL does the same.
      if (error instanceof Error && /unknown command|NOPERM|unknown subcommand|not allowed/i.test(error.message)) {
        return (await this.evalTakesFlags()) ? 'scripts-allow-oom' : 'scripts';
      }
      throw error;
    }
  }

  /**
   * Whether EVAL understands script flags (Redis 7 or later): asked of the server itself, since
   * INFO, which gives the version, may be refused where FUNCTION is. `no-writes` runs at OOM too.
   */
  private async evalTakesFlags(): Promise<boolean> {
    const probe = `${ALLOW_OOM_SHEBANG.replace('allow-oom', 'no-writes')}\nreturn 1`;
    try {
      await this.client.eval(probe, 0);
      return true;
    } catch (error) {
      // Redis before 7 reads the shebang as Lua, a syntax error.
      if (error instanceof Error && /compil|syntax|unexpected symbol/i.test(error.message)) return false;
      throw error;
    }
  }

  private async libraryLoaded(): Promise<boolean> {
    const libraries = (await this.client.call('FUNCTION', 'LIST', 'LIBRARYNAME', this.library.name)) as unknown[];
    return libraries.length > 0;
  }
}

// Built once per set of scripts: building reads and joins files.
const libraries = new Map<string, FunctionLibrary>();
function libraryFor(scripts: readonly LuaScript[], allowOom: boolean): FunctionLibrary {
  const id = `${scripts.map((s) => `${s.area}/${s.name}`).join(',')}${allowOom ? ' allow-oom' : ''}`;
  let library = libraries.get(id);
  if (!library) libraries.set(id, (library = buildFunctionLibrary(scripts, allowOom ? scripts : [])));
  return library;
}
