// `-H "Name: value"` flags into header pairs. Pure. Values are never echoed in errors: they may be secrets.
import { UsageError } from './usage-error.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseHeaders(values: readonly string[]): Array<[string, string]> {
  return values.map((raw, i) => {
    const colon = raw.indexOf(':');
    const name = colon === -1 ? raw.trim() : raw.slice(0, colon).trim();
    if (colon === -1 || !TOKEN.test(name)) {
      throw new UsageError(`-H/--header #${i + 1}: expected "Name: value", got a header named "${name.slice(0, 40)}"`);
    }
    const value = raw.slice(colon + 1).trim();
    if (/[\r\n\0]/.test(value)) throw new UsageError(`-H/--header "${name}": the value contains a line break or NUL`);
    return [name, value];
  });
}

export function hasHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  const wanted = name.toLowerCase();
  return headers.some(([n]) => n.toLowerCase() === wanted);
}
