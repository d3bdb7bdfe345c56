import { describe, expect, it } from 'vitest';
import { TokenCheck, parseCookies } from '../../src/ui/auth.js';
import { SharedReads } from '../../src/ui/cache.js';
import { AcceptedHistory, sparklinePoints } from '../../src/ui/history.js';
import { html, raw } from '../../src/ui/html.js';
import type { Overview } from '../../src/ui/reads.js';
import type { TenantStats } from '../../src/tenancy/stats.js';
import type { Tenant } from '../../src/tenancy/tenant.js';

describe('html', () => {
  it('escapes every interpolated value, but not nested templates or raw markup', () => {
    const name = '<script>alert("x")</script>';
    const out = html`<p title="${name}">${name}${html`<b>${'&'}</b>`}${raw('<i>ok</i>')}${null}${false}${[1, 2]}</p>`;
    expect(out.text).toBe(
      '<p title="&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;">&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;<b>&#38;</b><i>ok</i>12</p>',
    );
  });
});

describe('SharedReads', () => {
  it('reads once per interval for any number of callers, and again after clear()', async () => {
    const reads = new SharedReads(60_000);
    let count = 0;
    const read = async (): Promise<number> => ++count;
    expect(await Promise.all([reads.get('k', read), reads.get('k', read), reads.get('k', read)])).toEqual([1, 1, 1]);
    expect(await reads.get('other', read)).toBe(2);
    reads.clear();
    expect(await reads.get('k', read)).toBe(3);
  });

  it('does not keep a failed read', async () => {
    const reads = new SharedReads(60_000);
    await expect(reads.get('k', async () => Promise.reject(new Error('redis away')))).rejects.toThrow('redis away');
    expect(await reads.get('k', async () => 'back')).toBe('back');
  });
});

describe('TokenCheck', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as never;

  it('lets act whoever shows the token, by cookie (with their name) or Bearer header', () => {
    const check = new TokenCheck('s3cret');
    expect(check.viewer(request({ cookie: 'turbine_ui_token=s3cret; turbine_ui_actor=dana' }))).toEqual({ canAct: true, actor: 'ui:dana' });
    expect(check.viewer(request({ authorization: 'Bearer s3cret' }))).toEqual({ canAct: true, actor: 'ui:operator' });
    expect(check.viewer(request({ authorization: 'Bearer s3cre' })).canAct).toBe(false);
    expect(check.viewer(request({})).canAct).toBe(false);
  });

  it('lets nobody act without a token configured', () => {
    const check = new TokenCheck(undefined);
    expect(check.enabled).toBe(false);
    expect(check.matches('')).toBe(false);
    expect(check.viewer(request({ authorization: 'Bearer ' })).canAct).toBe(false);
  });

  it('reads cookies, skipping malformed ones', () => {
    expect([...parseCookies('a=1; b=%E0%A4%A; c=x%20y')]).toEqual([
      ['a', '1'],
      ['c', 'x y'],
    ]);
  });
});

describe('AcceptedHistory', () => {
  const reading = (at: string, total: number): Overview => ({
    readAt: new Date(at),
    tenants: [{ tenant: { tenantId: 'acme' } as Tenant, shard: 0, stats: { totalTasks: total } as TenantStats, deadLetters: 0 }],
  });

  it('gives tasks accepted per minute from the total counter, carrying minutes without a reading', () => {
    const history = new AcceptedHistory();
    history.record(reading('2026-01-01T10:00:10Z', 100));
    expect(history.perMinute('acme')).toEqual([]);
    history.record(reading('2026-01-01T10:00:50Z', 110));
    history.record(reading('2026-01-01T10:01:30Z', 130));
    history.record(reading('2026-01-01T10:03:05Z', 160));
    expect(history.perMinute('acme')).toEqual([20, 0, 30]);
  });

  it('forgets minutes older than its window', () => {
    const history = new AcceptedHistory(2);
    history.record(reading('2026-01-01T10:00:00Z', 1));
    history.record(reading('2026-01-01T10:01:00Z', 2));
    history.record(reading('2026-01-01T10:02:00Z', 4));
    expect(history.perMinute('acme')).toEqual([2]);
  });

  it('draws points scaled to the largest value', () => {
    expect(sparklinePoints([0, 5, 10], 20, 10)).toBe('0.0,10.0 10.0,5.0 20.0,0.0');
  });
});
