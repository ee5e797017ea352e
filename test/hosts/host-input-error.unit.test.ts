import { describe, expect, it } from 'vitest';
import { QUOTED_MAX, groupedDigits, quoted } from '../../src/hosts/host-input-error.js';

describe('quoted', () => {
  it('quotes an entry short enough to echo as it is', () => {
    expect(quoted('web[01-')).toBe('"web[01-"');
    expect(quoted('a'.repeat(QUOTED_MAX))).toBe(`"${'a'.repeat(QUOTED_MAX)}"`);
  });

  it('cuts a longer one to its start and says how long it was', () => {
    expect(quoted('a'.repeat(10_000_000))).toBe(`"${'a'.repeat(QUOTED_MAX)}…" (10,000,000 characters)`);
  });
});

describe('groupedDigits', () => {
  it('groups thousands as toLocaleString("en-US") does', () => {
    for (const n of [0, 7, 999, 1000, 65_535, 100_000, 1_000_000, 1_234_567_890, Number.MAX_SAFE_INTEGER]) {
      expect(groupedDigits(n)).toBe(n.toLocaleString('en-US'));
    }
  });
});
