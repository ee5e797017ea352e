import { describe, expect, it } from 'vitest';
import { fdLimitWarning, openFileLimit } from '../../src/cli/fd-limit.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
`;

describe('open-file limit', () => {
  it('reads the soft limit from /proc/self/limits text', () => {
    expect(openFileLimit(LIMITS)).toBe(1024);
    expect(openFileLimit(LIMITS.replace('1024 ', 'unlimited'))).toBeNull();
    expect(openFileLimit(null)).toBeNull();
  });

  it('warns, with the fix, only when the concurrency would not fit', () => {
    expect(fdLimitWarning(500, 1024)).toBeNull();
    expect(fdLimitWarning(2000, 1024)).toMatch(/-c 2000 .* limit is 1024: .*EMFILE.*ulimit -n 2064/);
    expect(fdLimitWarning(2000, null)).toBeNull();
  });
});
