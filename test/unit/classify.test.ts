import { describe, expect, it } from 'vitest';
import { classify } from '../../src/core/classify.js';
import { ConfigError, InternalError, InvalidArgumentError, QueueFullError, RedisUnavailableError, TenantNotFoundError } from '../../src/core/errors.js';
import { errorFromScript } from '../../src/core/script-errors.js';

describe('classify', () => {
  it('sorts Turbine errors by code', () => {
    expect(classify(new InvalidArgumentError('bad'))).toBe('bad_input');
    expect(classify(new ConfigError('bad'))).toBe('bad_input');
    expect(classify(new TenantNotFoundError('acme'))).toBe('refused');
    expect(classify(new QueueFullError('acme', 10))).toBe('refused');
    expect(classify(new RedisUnavailableError('redis://x', 'ECONNREFUSED'))).toBe('unavailable');
    expect(classify(new InternalError('boom'))).toBe('internal');
  });

  it('reads connection errors as unavailable and anything else as internal', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classify(refused)).toBe('unavailable');
    expect(classify(new Error('Connection is closed.'))).toBe('unavailable');
    expect(classify(new TypeError('x is undefined'))).toBe('internal');
    expect(classify('a string')).toBe('internal');
  });

  it('reports an unexpected script reply as internal, not as bad input', () => {
    const error = errorFromScript(-99, 'acme', []);
    expect(error.code).toBe('INTERNAL');
    expect(classify(error)).toBe('internal');
  });
});
