// `fanout pull hosts.txt`: a host list given as a host. "hosts.txt" is a valid hostname, so the run would look it up
// in DNS and report one `dns` failure instead of reading the file.
//
// The rule: an argument is taken for a forgotten -f when it reads like a file name rather than a host AND it names
// an existing regular file. It reads like a file name when it contains a `/` (no host entry does; URLs, which do,
// are left alone) or ends in an extension host lists have (.txt .csv .tsv .list .lst .hosts, none of them a
// top-level domain). Both conditions, because each alone misfires: files named after their host (`web01`,
// `web01.dc1`, as per-host notes often are) sit in many working directories, and `web01.txt` is a legal hostname
// that may well resolve where no such file exists. A name that only looks like a file still goes to DNS.
import { statSync } from 'node:fs';
import { UsageError } from './usage-error.js';

const HOST_LIST_EXTENSION = /\.(?:txt|csv|tsv|list|lst|hosts)$/i;
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const PLAIN_SHELL_WORD = /^[\w./@%+=:,-]+$/;

/** An argument that reads like a file name rather than a host (whether or not such a file exists). */
export function readsLikeFileName(arg: string): boolean {
  if (URL_SCHEME.test(arg)) return false;
  return arg.includes('/') || HOST_LIST_EXTENSION.test(arg);
}

/** Throws UsageError for the first argument that is, by the rule above, a host list given without -f. */
export function checkForgottenFileFlag(args: readonly string[], isRegularFile: (path: string) => boolean = regularFileExists): void {
  const file = args.find((arg) => readsLikeFileName(arg) && isRegularFile(arg));
  if (file !== undefined) throw new UsageError(`${file} is a file: did you mean -f ${shellWord(file)}?`);
}

function regularFileExists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false; // EACCES, ENAMETOOLONG, ENOTDIR: not a file this run could read anyway
  }
}

/** The path as the user can paste it back: single-quoted when the shell would split or expand it. */
function shellWord(path: string): string {
  return PLAIN_SHELL_WORD.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
