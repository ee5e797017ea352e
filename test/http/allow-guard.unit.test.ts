import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createHostGuard, DeniedError } from '../../src/http/allow-guard.js';
import { parseAllowRules } from '../../src/http/allow-rules.js';
import { classifyError } from '../../src/http/classify-error.js';
import type { Resolver } from '../../src/http/resolver.js';

/** A resolver of fixed names that records what it was asked; `all` lookups, as net makes them. */
function fakeResolver(names: Record<string, string[]>): { resolver: Resolver; asked: string[] } {
  const asked: string[] = [];
  const resolver: Resolver = (hostname, _options, callback) => {
    asked.push(hostname);
    const addresses = names[hostname];
    if (addresses === undefined) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };
  return { resolver, asked };
}

function lookup(resolver: Resolver, hostname: string): Promise<{ error: NodeJS.ErrnoException | null; addresses: unknown }> {
  return new Promise((resolve) => resolver(hostname, { all: true }, (error, addresses) => resolve({ error, addresses })));
}

describe('createHostGuard', () => {
  it('admit: IP literals need an address rule; names need a name rule when there are any', () => {
    const { resolver } = fakeResolver({});
    const guard = createHostGuard(parseAllowRules(['10.0.0.0/8', '[fd00::1]:443', '*.dc1.test']), resolver);
    const { refusals } = guard.admit([
      'http://10.1.2.3/',
      'http://11.0.0.1:8080/x',
      'https://[fd00::1]/',
      'http://[fd00::1]/',
      'http://web.dc1.test/',
      'http://web.dc2.test:81/',
      null,
      'not a url',
    ]);
    expect(refusals).toEqual([
      null,
      'no --allow rule of this worker allows 11.0.0.1:8080',
      null,
      'no --allow rule of this worker allows [fd00::1]:80',
      null,
      'web.dc2.test:81 matches no --allow rule of this worker',
      null,
      null,
    ]);
  });

  it('with name rules only, an IP literal is refused: it is nobody’s name', () => {
    const guard = createHostGuard(parseAllowRules(['*.dc1.test']), fakeResolver({}).resolver);
    expect(guard.admit(['http://10.0.0.1/', 'http://0x0a000001/']).refusals).toEqual([
      'no --allow rule of this worker allows 10.0.0.1:80',
      'no --allow rule of this worker allows 10.0.0.1:80',
    ]);
  });

  it('the resolver refuses a name that resolves into a range no rule allows, naming the address', async () => {
    const { resolver } = fakeResolver({ 'good.test': ['10.0.0.5'], 'evil.test': ['10.0.0.6', '169.254.169.254'] });
    const guard = createHostGuard(parseAllowRules(['10.0.0.0/8']), resolver);
    guard.admit(['http://good.test/', 'http://evil.test/']);
    expect((await lookup(guard.resolver, 'good.test')).error).toBeNull();
    const { error } = await lookup(guard.resolver, 'evil.test');
    expect(error).toBeInstanceOf(DeniedError);
    expect(classifyError(error)).toEqual({
      code: 'denied',
      message: 'evil.test resolves to 169.254.169.254: no --allow rule of this worker allows 169.254.169.254:80',
    });
  });

  it('judges the resolved address on the port the job admitted the name for, until the job releases it', async () => {
    const { resolver } = fakeResolver({ 'web.test': ['10.0.0.5'] });
    const guard = createHostGuard(parseAllowRules(['10.0.0.0/8:443']), resolver);
    const https = guard.admit(['https://web.test/']);
    expect((await lookup(guard.resolver, 'web.test')).error).toBeNull();
    https.release();
    const http = guard.admit(['http://web.test/']);
    expect(classifyError((await lookup(guard.resolver, 'web.test')).error).message).toBe(
      'web.test resolves to 10.0.0.5: no --allow rule of this worker allows 10.0.0.5:80',
    );
    http.release();
    // A name no job admitted (a redirect's, say) has no known port: a rule with a port does not allow it.
    expect((await lookup(guard.resolver, 'web.test')).error).toBeInstanceOf(DeniedError);
  });

  it('a denial copied without its class (a structured clone) is still denied, by its code', async () => {
    const guard = createHostGuard(parseAllowRules(['*.dc1.test']), fakeResolver({}).resolver);
    const { error } = await lookup(guard.resolver, 'web.dc2.test');
    const copy = Object.assign(new Error(error?.message), { code: error?.code });
    expect(classifyError(copy).code).toBe('denied');
  });

  it('a name refused by the name rules is never resolved', async () => {
    const { resolver, asked } = fakeResolver({ 'web.dc2.test': ['10.0.0.5'] });
    const guard = createHostGuard(parseAllowRules(['*.dc1.test']), resolver);
    const { error } = await lookup(guard.resolver, 'web.dc2.test');
    expect(classifyError(error)).toEqual({ code: 'denied', message: 'web.dc2.test matches no --allow rule of this worker' });
    expect(asked).toEqual([]);
  });

  it('with name rules only, an allowed name may resolve anywhere; DNS failures pass through unchanged', async () => {
    const { resolver } = fakeResolver({ 'web.dc1.test': ['192.0.2.1'] });
    const guard = createHostGuard(parseAllowRules(['*.dc1.test']), resolver);
    expect((await lookup(guard.resolver, 'web.dc1.test')).error).toBeNull();
    expect(classifyError((await lookup(guard.resolver, 'gone.dc1.test')).error).code).toBe('dns');
  });
});
