// Where a text stops being JSON, as a line and column a person can go to, taken from V8's own parser: what
// JSON.parse refuses is what is refused, with no second JSON grammar to keep in step with it. Pure.
//
// V8 states the position of most errors (`Expected ',' or '}' after property value in JSON at position 42`). Two
// kinds name none: a cut-off text (`Unexpected end of JSON input`: the position is the end), and, on Node 20, an
// unexpected character, for which V8 quotes up to 10 characters either side instead (`Unexpected token 'x',
// ..."b": x }" is not valid JSON`), which does not say where when the quoted text occurs more than once. V8 reads
// left to right and stops at the first character that cannot continue a JSON text, so that character's position
// is the length of the longest prefix it parses up to its end: found by bisection, about log2(length) parses, on
// an error path only.

export interface JsonSyntaxError {
  /** 1-based. */
  line: number;
  /** 1-based, in characters (code points) of that line. */
  column: number;
  /** V8's reason, one line, without the position or the quoted text: `Unexpected token 'x'`. */
  reason: string;
}

// Newer V8s append ` (line 3 column 7)`, which the reason leaves out like the position.
const AT_POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?/;
const END_OF_INPUT = 'Unexpected end of JSON input';
// `Unexpected token 'x', "…" is not valid JSON` (and its `…"…"…` forms): the quoted text may span lines.
const UNEXPECTED_TOKEN = /^(Unexpected token '[\s\S]'), [\s\S]* is not valid JSON$/;

/** V8's message for a text that is not JSON, or null when it is JSON. */
export function jsonParseError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    return error instanceof SyntaxError ? error.message : String(error);
  }
}

/** Where `text`, which JSON.parse refused with `message`, stops being JSON. */
export function locateJsonError(text: string, message: string): JsonSyntaxError {
  const offset = statedOffset(message, text.length) ?? longestParsedPrefix(text);
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: [...before.slice(lineStart)].length + 1, reason: reasonOf(message) };
}

/** The offset V8's message gives (the end, for a cut-off text), or null when it gives none. */
function statedOffset(message: string, length: number): number | null {
  if (message.startsWith(END_OF_INPUT)) return length;
  const stated = AT_POSITION.exec(message)?.[1];
  return stated === undefined ? null : Number(stated);
}

/** For a text V8 refuses before its end: the length of its longest prefix that V8 parses up to the end. */
function longestParsedPrefix(text: string): number {
  // Invariant: the prefix of length `parsed` is read to its end (the empty one always is), that of `refused` is not.
  let parsed = 0;
  let refused = text.length;
  while (refused - parsed > 1) {
    const middle = Math.floor((parsed + refused) / 2);
    const prefix = text.slice(0, middle);
    const message = jsonParseError(prefix);
    if (message === null || statedOffset(message, prefix.length) === prefix.length) parsed = middle;
    else refused = middle;
  }
  return parsed;
}

/** V8's message without what `line, column` replaces, and one line even when the unexpected token is a control character. */
function reasonOf(message: string): string {
  const reason = message.replace(UNEXPECTED_TOKEN, '$1').replace(AT_POSITION, '');
  return reason.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
