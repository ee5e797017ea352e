import { describe, expect, it } from 'vitest';
import { jsonParseError, locateJsonError, type JsonSyntaxError } from '../../src/cli/json-syntax-error.js';

/** Where V8 refuses `text`, as the -d check reports it. */
function locate(text: string): JsonSyntaxError {
  const message = jsonParseError(text);
  if (message === null) throw new Error(`${JSON.stringify(text)} is JSON`);
  return locateJsonError(text, message);
}

describe('jsonParseError', () => {
  it('is null for JSON, V8’s message otherwise', () => {
    expect(jsonParseError('{"a": [1, 2]}')).toBeNull();
    expect(jsonParseError('[1,2')).toBe("Expected ',' or ']' after array element in JSON at position 4");
  });
});

describe('locateJsonError', () => {
  it('takes the position V8 states, as line and column, without the position in the reason', () => {
    expect(locate('{\n  "a": 1\n  "b": 2\n}\n')).toEqual({ line: 3, column: 3, reason: "Expected ',' or '}' after property value" });
    expect(locate('[1, 2')).toEqual({ line: 1, column: 6, reason: "Expected ',' or ']' after array element" });
  });

  it('puts a cut-off text at its end', () => {
    expect(locate('{\n  "a": ')).toEqual({ line: 2, column: 8, reason: 'Unexpected end of JSON input' });
  });

  // Node 20 gives no position for an unexpected character, only the text around it.
  it.each([
    // [text, line, column, token]: fewer than 21 characters (V8 quotes all of it), the character also inside a string
    ['{"x":x}', 1, 6, 'x'],
    ['[1,]', 1, 4, ']'],
    // the character among the first 10 (V8 quotes what follows), in the middle, among the last 10
    ['[tx, 1, 2, 3, 4, 5, 6, 7, 8, 9]', 1, 3, 'x'],
    [`[${'1, '.repeat(20)}x, ${'1, '.repeat(20)}1]`, 1, 62, 'x'],
    ['{\n  "ttl": 30,\n  "mode": on\n}\n', 3, 11, 'o'],
  ])('finds the unexpected character V8 names no position for: %j', (text, line, column, token) => {
    expect(locate(text)).toEqual({ line, column, reason: `Unexpected token '${token}'` });
  });

  it('counts lines on \\n (a CRLF file too) and columns in characters, not UTF-16 units', () => {
    expect(locate('{\r\n  "a": x\r\n}')).toEqual({ line: 2, column: 8, reason: "Unexpected token 'x'" });
    expect(locate('["😀😀", x]')).toEqual({ line: 1, column: 8, reason: "Unexpected token 'x'" });
  });

  it('keeps the reason on one line when the unexpected character is a control character', () => {
    expect(locate('[1, \u0001]')).toEqual({ line: 1, column: 5, reason: "Unexpected token '\\u0001'" });
  });

  it('reads the line and column suffix of newer V8s’ messages as part of the position', () => {
    const message = "Expected ',' or ']' after array element in JSON at position 3 (line 1 column 4)";
    expect(locateJsonError('[1 2]', message)).toEqual({ line: 1, column: 4, reason: "Expected ',' or ']' after array element" });
  });
});
