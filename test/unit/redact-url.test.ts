import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/store/connection.js';

describe('redactUrl', () => {
  it.each([
    ['redis://:s3cret@db:6379', 'redis://:***@db:6379'],
    ['redis://app:s3cret@db:6379/2', 'redis://app:***@db:6379/2'],
    // ioredis honours options in the query: a password there is as secret as one before the @.
    ['redis://db:6379/0?password=s3cret', 'redis://db:6379/0?password=***'],
    ['rediss://db:6380/0?username=app&password=s3cret&tls=true', 'rediss://db:6380/0?username=app&password=***&tls=true'],
    ['redis://:a@db:6379/0?password=s3cret&sentinelPassword=s3cret', 'redis://:***@db:6379/0?password=***&sentinelPassword=***'],
    ['redis://db:6379', 'redis://db:6379'],
  ])('redacts %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
    expect(redactUrl(url)).not.toContain('s3cret');
  });

  it('redacts what it cannot parse down to what cannot be a secret', () => {
    const shown = redactUrl('redis://:s3cret@[bad/0?password=s3cret');
    expect(shown).not.toContain('s3cret');
  });
});
