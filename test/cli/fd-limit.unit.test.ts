import { describe, expect, it } from 'vitest';
import { clampToFdLimit, openFileLimit } from '../../src/cli/fd-limit.js';

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

  it('lowers -c to what fits under the limit, with a warning that says so and how to raise it', () => {
    expect(clampToFdLimit(500, 1024)).toEqual({ concurrency: 500, warning: null });
    const clamped = clampToFdLimit(2000, 1024);
    expect(clamped.concurrency).toBe(960);
    expect(clamped.warning).toMatch(/-c 2000 .* limit is 1024: running with -c 960; .*ulimit -n 2064/);
    expect(clampToFdLimit(2000, null)).toEqual({ concurrency: 2000, warning: null });
    expect(clampToFdLimit(100, 50).concurrency).toBe(1); // a limit below the reserve still runs, one request at a time
  });
});
