// @ts-check
import path from 'node:path';

import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;
// The one tsconfig that includes every TS file we lint (src, test, fixtures, bench, vitest.config.ts); tsconfig.json
// covers src/ only, so the project service (which picks the nearest tsconfig.json) would reject test files.
const testTsconfig = path.join(root, 'tsconfig.test.json');
const seeDoc = 'See docs/architecture.md.';

/**
 * One layer's rule: files under `target` may import from src/ only what `allowed` lists (paths relative to src/).
 * @param {string} target path under src/ of the folder or file the rule is for
 * @param {string[]} allowed paths under src/ that it may import (its own folder included where it may import itself)
 * @param {string} rule the rule in words, for the message
 */
function layer(target, allowed, rule) {
  return { target: `./src/${target}`, from: './src', except: allowed.map((p) => `./${p}`), message: `${rule} ${seeDoc}` };
}

export default defineConfig(
  // Generated or throwaway output; node_modules/ is ignored by ESLint already, listed so the intent is plain.
  globalIgnores(['node_modules/', 'dist/', 'coverage/', 'bench/results/', '.scratch/', 'oclif.manifest.json']),

  eslint.configs.recommended,

  {
    name: 'fanout/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: [testTsconfig], tsconfigRootDir: root },
    },
    rules: {
      // The codebase's convention for a name that is there only to be left out: `_`-prefixed, or the siblings of a
      // rest pattern (`const { durationMs: _d, ...rest } = record`). Every other unused name is still an error.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },

  {
    // bin/*.js and this file are plain ESM JavaScript outside every tsconfig: core rules only, no type information.
    name: 'fanout/plain-js',
    files: ['**/*.js'],
    languageOptions: { sourceType: 'module', ecmaVersion: 'latest' },
  },

  {
    // The layers of src/ (docs/architecture.md). Each zone says what one layer may import; a zone for a folder that
    // does not exist yet simply matches nothing until it does.
    name: 'fanout/layers',
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // Resolves the `.js` specifiers of TS ESM to the `.ts` files; a path that resolves to nothing is never
      // checked by no-restricted-paths, so without this the zones would silently pass.
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: testTsconfig })],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            layer(
              'gearman',
              ['gearman'],
              'src/gearman is a standalone Gearman protocol library: it imports nothing of fanout outside src/gearman.',
            ),
            layer('defaults.ts', [], 'src/defaults.ts is the bottom layer: it imports nothing of fanout.'),
            layer('record', ['record'], 'src/record is the bottom layer: it imports nothing of fanout outside src/record.'),
            layer('hosts', ['hosts', 'record', 'defaults.ts'], 'src/hosts may import only hosts, record and defaults.'),
            layer('http', ['http', 'hosts', 'record', 'defaults.ts'], 'src/http may import only http, hosts, record and defaults.'),
            layer(
              'jobs',
              ['jobs', 'http', 'hosts', 'record', 'defaults.ts'],
              'src/jobs may import only jobs, http, hosts, record and defaults.',
            ),
            layer(
              'report',
              ['report', 'hosts', 'record', 'defaults.ts'],
              'src/report may import only report, hosts, record and defaults (not jobs, http, gearman, worker, run, cli or commands).',
            ),
            layer(
              'worker',
              ['worker', 'gearman', 'jobs', 'http', 'hosts', 'record', 'defaults.ts'],
              'src/worker may import only worker, gearman, jobs, http, hosts, record and defaults (not report, run, cli or commands).',
            ),
            {
              target: './src/run',
              from: ['./src/cli', './src/commands'],
              message: `src/run may import anything of fanout except src/cli and src/commands, which sit above it. ${seeDoc}`,
            },
            {
              target: './src/cli',
              from: './src/commands',
              message: `src/cli may import anything of fanout except src/commands, which sits above it. ${seeDoc}`,
            },
            // src/commands is the top: it may import anything, so it has no zone.
          ],
        },
      ],
    },
  },

  {
    // oclif is the CLI shell: only the two layers that make up the shell may touch it.
    name: 'fanout/oclif-only-in-cli',
    files: ['src/**/*.ts'],
    ignores: ['src/commands/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@oclif/*'],
              message: `Only src/commands and src/cli may import @oclif/*: the layers below them know nothing of the CLI framework. ${seeDoc}`,
            },
          ],
        },
      ],
    },
  },

  // Last, so it switches off every stylistic rule above that would fight Prettier.
  prettier,
);
