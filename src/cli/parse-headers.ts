// `-H "Name: value"` and `-H @FILE` flags into header pairs, and --secret-header names. Values are never echoed in
// errors: they may be secrets (which is why a file of them exists: it keeps them out of shell history and `ps`).
import { readFlagFile } from './read-flag-file.js';
import { UsageError } from './usage-error.js';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** How an error names a header: by where it was given (`at`), or with its name once that is known to be one. */
interface HeaderPlace {
  at: string;
  named: (name: string) => string;
}

function parseHeader(raw: string, place: HeaderPlace): [string, string] {
  const colon = raw.indexOf(':');
  const name = colon === -1 ? '' : raw.slice(0, colon).trim();
  // Nothing of a malformed header is echoed: without a colon (`Authorization Bearer …`) name and value are one.
  if (!TOKEN.test(name)) {
    throw new UsageError(`${place.at}: expected "Name: value" with a name of letters, digits and -`);
  }
  const value = raw.slice(colon + 1).trim();
  // undici's own rule for header values: it would refuse the request to every host.
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    throw new UsageError(`${place.named(name)}: the value contains a line break, a control character or a character beyond Latin-1`);
  }
  return [name, value];
}

/** The `i`th -H (from 0), named by its position until its name is known. */
function flagPlace(i: number): HeaderPlace {
  return { at: `-H/--header #${i + 1}`, named: (name) => `-H/--header "${name}"` };
}

/**
 * `-H` values, where `-H @FILE` stands for the headers in FILE: one `Name: value` per line; blank lines and lines
 * starting with `#` are skipped; a bad line is named by file and line number. In the order given.
 */
export async function readHeaders(values: readonly string[]): Promise<Array<[string, string]>> {
  const headers: Array<[string, string]> = [];
  for (const [i, raw] of values.entries()) {
    if (raw.startsWith('@')) headers.push(...(await headersInFile(raw.slice(1))));
    else headers.push(parseHeader(raw, flagPlace(i)));
  }
  return headers;
}

async function headersInFile(path: string): Promise<Array<[string, string]>> {
  const flag = `-H @${path}`;
  if (path === '' || path === '-') throw new UsageError(`${flag}: expected a file of headers (stdin is not read for -H)`);
  // A byte-order mark (a file saved by Notepad) is not part of the first header's name.
  const lines = (await readFlagFile(flag, path))
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split('\n');
  const headers: Array<[string, string]> = [];
  lines.forEach((line, i) => {
    const text = line.replace(/\r$/, '');
    if (text.trim() === '' || text.trimStart().startsWith('#')) return;
    const at = `${flag}:${i + 1}`;
    headers.push(parseHeader(text, { at, named: (name) => `${at} "${name}"` }));
  });
  if (headers.length === 0) throw new UsageError(`${flag}: no header in it (one "Name: value" per line)`);
  return headers;
}

/** --secret-header names: each a header name, in lower case as HTTP compares them, each once. Pure. */
export function parseSecretHeaders(names: readonly string[]): string[] {
  for (const name of names) {
    // A name is safe to echo; a value given here by mistake (`--secret-header "X-Key: abc"`) is not.
    if (!TOKEN.test(name)) throw new UsageError('--secret-header: expected a header name (letters, digits and -), not "Name: value"');
  }
  return [...new Set(names.map((name) => name.toLowerCase()))];
}

export function hasHeader(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  const wanted = name.toLowerCase();
  return headers.some(([n]) => n.toLowerCase() === wanted);
}
