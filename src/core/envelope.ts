import { InvalidArgumentError } from './errors.js';
import type { JsonValue } from './json.js';

/**
 * The data of every Turbine job: the tenant and the task's arguments, with the Python SDK's names
 * ("the tenant_id is stored in task metadata and headers"), so that the worker, the metrics
 * and the dead-letter queue all see the tenant without a lookup.
 */
export interface TaskEnvelope {
  tenant_id: string;
  args: JsonValue[];
}

export interface EncodedTask {
  data: string;
  /** Bytes of the serialized arguments, which `max_task_size_bytes` limits. */
  argsSize: number;
}

export function encodeTask(tenantId: string, args: readonly unknown[]): EncodedTask {
  let argsJson: string;
  try {
    argsJson = JSON.stringify(args);
  } catch (error) {
    throw new InvalidArgumentError(
      `Task arguments must be JSON-serializable: ${(error as Error).message} (convert BigInt to a string or number, remove cycles)`,
    );
  }
  return {
    data: `{"tenant_id":${JSON.stringify(tenantId)},"args":${argsJson}}`,
    argsSize: Buffer.byteLength(argsJson),
  };
}

export class UndecodablePayloadError extends Error {
  constructor(reason: string) {
    super(`Undecodable task payload: ${reason}`);
    this.name = 'UndecodablePayloadError';
  }
}

/** Reads job data written by {@link encodeTask}; anything else is a poison task. */
export function decodeTask(data: unknown): TaskEnvelope {
  const value = typeof data === 'string' ? parseJson(data) : data;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UndecodablePayloadError('expected an object with tenant_id and args');
  }
  const { tenant_id: tenantId, args } = value as Record<string, unknown>;
  if (typeof tenantId !== 'string' || tenantId === '') throw new UndecodablePayloadError('tenant_id is missing');
  if (!Array.isArray(args)) throw new UndecodablePayloadError('args is not a list');
  return { tenant_id: tenantId, args: args as JsonValue[] };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UndecodablePayloadError((error as Error).message);
  }
}
