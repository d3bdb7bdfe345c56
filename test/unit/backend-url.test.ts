import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { assertClusterPrefix, hashTag } from '../../src/store/cluster.js';
import { parseBackendUrl, redactUrl } from '../../src/store/endpoint.js';

describe('backend URL', () => {
  it('reads one server, with user, password, db and TLS', () => {
    expect(parseBackendUrl('redis://localhost:6379')).toEqual({
      kind: 'standalone',
      url: 'redis://localhost:6379',
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(parseBackendUrl('rediss://app:p%40ss@cache.example:6380/2')).toMatchObject({
      kind: 'standalone',
      tls: true,
      username: 'app',
      password: 'p@ss',
    });
    expect(parseBackendUrl('redis://:secret@h')).toMatchObject({ username: undefined, password: 'secret' });
  });

  it('reads Sentinel: several sentinels, the master name, the db and the sentinels’ own credentials', () => {
    expect(
      parseBackendUrl('redis+sentinel://app:pw@s1:26379,s2,[::1]:26380/mymaster/3?sentinel_password=spw&sentinel_username=su'),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
      masterName: 'mymaster',
      db: 3,
      tls: false,
      username: 'app',
      password: 'pw',
      sentinelUsername: 'su',
      sentinelPassword: 'spw',
    });
    expect(parseBackendUrl('rediss+sentinel://s1/primary')).toMatchObject({ kind: 'sentinel', tls: true, db: 0, masterName: 'primary' });
  });

  it('reads Cluster nodes, with default ports and TLS', () => {
    expect(parseBackendUrl('rediss+cluster://:pw@n1:7000,n2')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 6379 },
      ],
      tls: true,
      username: undefined,
      password: 'pw',
    });
  });

  it.each([
    ['http://localhost', /unknown scheme 'http:\/\/'/],
    ['localhost:6379', /not a URL/],
    ['redis+sentinel://s1:26379', /name the master after the hosts/],
    ['redis+sentinel://s1/mymaster/x', /is not \/<master-name>\[\/db\]/],
    ['redis+sentinel://s1/m?password=x', /unknown option 'password'/],
    ['redis+cluster://n1:7000/1', /a cluster has no database/],
    ['redis://a:1,b:2', /several hosts need redis\+sentinel:\/\/ or redis\+cluster:\/\//],
    ['redis://h/abc', /'\/abc' is not a database number/],
    ['redis+cluster://n1:99999', /port 99999 is out of range/],
    ['redis+cluster://n1,,n2', /a host is missing/],
    ['redis://h:port', /'h:port' is not host\[:port\]/],
  ])('refuses %s with the reason and the forms allowed', (url, reason) => {
    expect(() => parseBackendUrl(url)).toThrow(reason);
    expect(() => parseBackendUrl(url)).toThrow(/expected redis:\/\/.*redis\+sentinel:\/\/.*redis\+cluster:\/\//);
  });

  it('never shows a password in an error or a log line', () => {
    expect(() => parseBackendUrl('redis+sentinel://:hunter2@s1')).toThrow(/redis\+sentinel:\/\/:\*\*\*@s1/);
    expect(redactUrl('redis+cluster://u:hunter2@n1,n2')).toBe('redis+cluster://u:***@n1,n2');
    expect(redactUrl('redis+sentinel://s1/m?sentinel_password=hunter2')).toBe('redis+sentinel://s1/m?sentinel_password=***');
  });

  it('is checked by the worker configuration', () => {
    expect(configSchema.safeParse({ backendUrl: 'redis+cluster://n1:7000,n2:7001' }).success).toBe(true);
    const bad = configSchema.safeParse({ backendUrl: 'redis+sentinel://s1' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/^name the master after the hosts/);
  });
});

describe('cluster prefix', () => {
  it('finds the hash tag as Redis Cluster does', () => {
    expect(hashTag('{turbine}')).toBe('turbine');
    expect(hashTag('app{t}x')).toBe('t');
    expect(hashTag('{}turbine')).toBeNull();
    expect(hashTag('turbine')).toBeNull();
  });

  it('refuses a prefix without a hash tag, suggesting one', () => {
    expect(() => assertClusterPrefix('{turbine}')).not.toThrow();
    expect(() => assertClusterPrefix('jobs')).toThrow(/The prefix 'jobs' has no hash tag.*Use a prefix such as '\{jobs\}'/);
  });
});
