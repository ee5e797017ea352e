// The body of a push (`-d STRING`, `-d @FILE`, `-d @-`) and the Content-Type it implies. A push always has one:
// the same bytes go to thousands of hosts, so a forgotten -d, or a JSON file with a typo sent unlabelled, would be
// the same mistake thousands of times.
import { jsonParseError, locateJsonError } from './json-syntax-error.js';
import { readFlagFile } from './read-flag-file.js';
import { UsageError } from './usage-error.js';

export interface PushBody {
  bytes: Buffer;
  /** What fanout labels the body as when -H gave no Content-Type: application/json for JSON, else null (none). */
  contentType: string | null;
}

export interface PushBodyOptions {
  /** -H gave a Content-Type: the user said what the body is, so it is sent as is, unchecked. */
  hasContentType: boolean;
  /** -f - reads the hosts from stdin: -d @- cannot have it too. */
  stdinTaken: boolean;
  readStdin: () => Promise<Buffer>;
}

export const NO_BODY_MESSAGE = "push needs a body: -d STRING, -d @FILE or -d @-; -d '' sends an empty one";

const JSON_TYPE = 'application/json';
// JSON's own whitespace, then what only an object or an array starts with: text meant as JSON (`purge=all` is not).
const STARTS_LIKE_JSON = /^[ \t\r\n]*[{[]/;

export async function readPushBody(data: string | undefined, options: PushBodyOptions): Promise<PushBody> {
  if (data === undefined) throw new UsageError(NO_BODY_MESSAGE);
  const bytes = await readData(data, options);
  if (options.hasContentType) return { bytes, contentType: null };
  // `-d @config.json`, `-d @-`; a literal -d is not echoed: it may be long, or a secret.
  const label = data.startsWith('@') ? `-d ${data}` : '-d';
  return { bytes, contentType: impliedContentType(bytes.toString('utf8'), label) };
}

/** `-d STRING`, `-d @FILE`, `-d @-` (stdin). */
async function readData(data: string, { stdinTaken, readStdin }: PushBodyOptions): Promise<Buffer> {
  if (!data.startsWith('@')) return Buffer.from(data, 'utf8');
  const path = data.slice(1);
  if (path === '-') {
    if (stdinTaken) throw new UsageError('-d @- and -f - both want stdin: give one of them a file');
    return readStdin();
  }
  return readFlagFile('-d/--data', path);
}

/** JSON (`{…}`, `[…]`, and also `42` or `"x"`) is application/json; text that starts like JSON must be JSON. */
function impliedContentType(text: string, label: string): string | null {
  const message = jsonParseError(text);
  if (message === null) return JSON_TYPE;
  if (!STARTS_LIKE_JSON.test(text)) return null;
  const { line, column, reason } = locateJsonError(text, message);
  throw new UsageError(`${label}: not valid JSON at line ${line}, column ${column}: ${reason}`);
}
