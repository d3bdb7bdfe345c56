import { InvalidArgumentError } from './errors.js';

/** `value` if it is an integer from `min` to `max`; else an error naming the option `name`. */
export function assertIntegerInRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`Invalid ${name} ${JSON.stringify(value)}: expected an integer from ${min} to ${max}`);
  }
  return value;
}
