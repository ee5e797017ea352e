// src/gearman is a Gearman library in all but name: it must be liftable out of fanout as it is. Checked here
// on the files themselves, beside the linter's layer rule, so the promise holds even where lint is not run.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FOLDER = fileURLToPath(new URL('../../src/gearman/', import.meta.url));
const SPECIFIER = /(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((m) => m[1] ?? m[2] ?? '');
}

describe('src/gearman', () => {
  const files = readdirSync(FOLDER).filter((f) => f.endsWith('.ts'));

  it('has the library modules', () => {
    expect(files).toEqual(expect.arrayContaining(['client.ts', 'worker.ts', 'connection.ts', 'parser.ts', 'encode.ts', 'server-pool.ts']));
  });

  it('imports nothing outside its own folder but node built-ins and npm packages', () => {
    const outside = files.flatMap((file) =>
      importsOf(readFileSync(path.join(FOLDER, file), 'utf8'))
        .filter((spec) => spec.startsWith('.') && !path.resolve(FOLDER, spec).startsWith(FOLDER))
        .map((spec) => `${file} imports ${spec}`),
    );
    expect(outside).toEqual([]);
  });

  it('the check sees a relative import that leaves the folder', () => {
    expect(importsOf("import { x } from '../jobs/request-spec.js';\nimport type { Y } from './errors.js';")).toEqual([
      '../jobs/request-spec.js',
      './errors.js',
    ]);
    expect(path.resolve(FOLDER, '../jobs/request-spec.js').startsWith(FOLDER)).toBe(false);
  });
});
