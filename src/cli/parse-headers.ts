// `-H "Name: value"` flags into header pairs. Pure. Values are never echoed in errors: they may be secrets.
import { UsageError } from './usage-error.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHeaders(values: readonly string[]): Array<[string, string]> {
  return values.map((raw, i) => {
    const colon = raw.indexOf(':');
    const name = colon === -1 ? '' : raw.slice(0, colon).trim();
    // Nothing of a malformed header is echoed: without a colon (`Authorization Bearer …`) name and value are one.
    if (!TOKEN.test(name)) {
      throw new UsageError(`-H/--header #${i + 1}: expected "Name: value" with a name of letters, digits and -`);
    }
    const value = raw.slice(colon + 1).trim();
    // undici's own rule for header values: it would refuse the request to every host.
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      throw new UsageError(`-H/--header "${name}": the value contains a line break, a control character or a character beyond Latin-1`);
    }
    return [name, value];
  });
}

export function hasHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  const wanted = name.toLowerCase();
  return headers.some(([n]) => n.toLowerCase() === wanted);
}
