import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasHeader, parseSecretHeaders, readHeaders } from '../../src/cli/parse-headers.js';
import { UsageError } from '../../src/cli/usage-error.js';

const SECRET = 's3cr3t-T0ken';

/** The UsageError `readHeaders(values)` throws. */
async function failure(values: string[]): Promise<UsageError> {
  try {
    await readHeaders(values);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`readHeaders accepted ${values.length} header(s)`);
}

describe('readHeaders, -H on the command line', () => {
  it('splits at the first colon and trims both sides', async () => {
    expect(
      await readHeaders([
        'Authorization: Bearer abc',
        'X-Empty:',
        'x-url:  http://a:1/b ',
        "Weird!#$%&'*+.^_`|~-Name:v",
        'X-Tab: a\tb',
        'X-City: Zürich',
      ]),
    ).toEqual([
      ['Authorization', 'Bearer abc'],
      ['X-Empty', ''],
      ['x-url', 'http://a:1/b'],
      ["Weird!#$%&'*+.^_`|~-Name", 'v'],
      ['X-Tab', 'a\tb'],
      ['X-City', 'Zürich'],
    ]);
  });

  it('returns nothing for no headers', async () => {
    expect(await readHeaders([])).toEqual([]);
  });

  it.each([
    ['a missing colon', `Authorization Bearer ${SECRET}`],
    ['a value without a name', `${SECRET}`],
    ['an empty name', `: Bearer ${SECRET}`],
    ['a space in the name', `X Api Key: ${SECRET}`],
    ['a name with a slash', `X/Key: ${SECRET}`],
    ['a colon inside the would-be value', `Authorization Basic user-${SECRET}:pw`],
  ])('rejects %s, naming the header by position and never echoing its text', async (_case, raw) => {
    const err = await failure(['Accept: */*', raw]);
    expect(err.message).toMatch(/^-H\/--header #2: expected "Name: value"/);
    expect(err.message).not.toContain(SECRET);
  });

  it.each([
    ['CR LF', `Bearer ${SECRET}\r\nX-Injected: 1`],
    ['LF', `Bearer ${SECRET}\nX-Injected: 1`],
    ['CR', `Bearer ${SECRET}\rX`],
    ['NUL', `Bearer ${SECRET}\0`],
    ['another control character', `Bearer ${SECRET}\u0001`],
    ['DEL', `Bearer ${SECRET}\u007f`],
    ['a character undici cannot send', `Bearer ${SECRET} ✓`],
  ])('rejects %s in the value, naming the header but not the value', async (_case, value) => {
    const err = await failure([`Authorization: ${value}`]);
    expect(err.message).toMatch(/^-H\/--header "Authorization": the value contains/);
    expect(err.message).not.toContain(SECRET);
  });
});

describe('readHeaders, -H @FILE', () => {
  it('reads a file saved with a byte-order mark and CRLF line ends, in place among the other -H', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fanout-headers-'));
    try {
      const path = join(dir, 'headers.txt');
      await writeFile(path, `\uFEFFX-Api-Token: ${SECRET}\r\n# a comment\r\n\r\nAccept: text/plain\r\n`);
      expect(await readHeaders(['X-First: 1', `@${path}`, 'X-Last: 2'])).toEqual([
        ['X-First', '1'],
        ['X-Api-Token', SECRET],
        ['Accept', 'text/plain'],
        ['X-Last', '2'],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('parseSecretHeaders', () => {
  it('takes header names in lower case, each once', () => {
    expect(parseSecretHeaders(['X-Api-Key', 'x-api-key', 'X-Token'])).toEqual(['x-api-key', 'x-token']);
    expect(parseSecretHeaders([])).toEqual([]);
  });

  it.each([`X-Api-Key: ${SECRET}`, '', 'X Key'])('refuses %j without echoing it', (name) => {
    expect(() => parseSecretHeaders([name])).toThrow(UsageError);
    expect(() => parseSecretHeaders([name])).toThrow(/^--secret-header: expected a header name/);
  });
});

describe('hasHeader', () => {
  it('finds a header whatever the case of either name', () => {
    const headers: Array<[string, string]> = [['Content-Type', 'text/plain']];
    expect(hasHeader(headers, 'content-type')).toBe(true);
    expect(hasHeader(headers, 'CONTENT-TYPE')).toBe(true);
    expect(hasHeader(headers, 'content-length')).toBe(false);
    expect(hasHeader([], 'content-type')).toBe(false);
  });
});
