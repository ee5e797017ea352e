import path from 'node:path';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

// The layer boundaries of eslint.config.js must bite: a probe file that crosses one gets an error, one that stays
// inside gets none. The probes are virtual (lintText with a filePath; nothing is written under src/), but what they
// import is real, since no-restricted-paths only checks imports its resolver finds on disk.

const root = path.resolve(import.meta.dirname, '../..');
const layerRules = new Set(['import-x/no-restricted-paths', 'no-restricted-imports']);

// A probe is in no tsconfig, so type-aware parsing would fail on it: for probes only, parse without a TS program and
// switch the type-checked rules off. The layer rules need no type information.
const probeOverride: Linter.Config = { ...tseslint.configs.disableTypeChecked, files: ['src/**/probe.ts'] };
const eslint = new ESLint({ cwd: root, overrideConfig: probeOverride });

/** Lints `code` as if it were the file `file` (relative to the repo) and returns its layer-rule messages. */
async function layerMessages(file: string, code: string): Promise<Linter.LintMessage[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  if (!result) throw new Error(`no lint result for ${file}`);
  // A parse error would hide every rule: fail on it rather than read "no messages" as "allowed".
  const fatal = result.messages.filter((m) => m.fatal === true);
  expect(fatal).toEqual([]);
  return result.messages.filter((m) => m.ruleId !== null && layerRules.has(m.ruleId));
}

describe('layer rules', { timeout: 60_000 }, () => {
  it.each([
    {
      why: 'src/gearman may not import src/jobs',
      file: 'src/gearman/probe.ts',
      code: "import { DEFAULT_SPEC } from '../jobs/request-spec.js';\nexport const probe = DEFAULT_SPEC;\n",
      says: 'src/gearman is a standalone Gearman protocol library',
    },
    {
      why: 'src/run may not import src/cli',
      file: 'src/run/probe.ts',
      code: "import { UsageError } from '../cli/usage-error.js';\nexport const probe = UsageError;\n",
      says: 'src/run may import anything of fanout except src/cli and src/commands',
    },
    {
      why: 'a type-only import crosses a boundary too (src/report may not import src/jobs)',
      file: 'src/report/probe.ts',
      code: "import type { RequestSpec } from '../jobs/request-spec.js';\nexport type Probe = RequestSpec;\n",
      says: 'src/report may import only report, hosts, record and defaults',
    },
  ])('$why', async ({ file, code, says }) => {
    const messages = await layerMessages(file, code);
    expect(messages.map((m) => m.ruleId)).toEqual(['import-x/no-restricted-paths']);
    expect(messages[0]?.severity).toBe(2);
    expect(messages[0]?.message).toContain(says);
    expect(messages[0]?.message).toContain('docs/architecture.md');
  });

  it('src/jobs may not import @oclif/core', async () => {
    const messages = await layerMessages('src/jobs/probe.ts', "import { Command } from '@oclif/core';\nexport const probe = Command;\n");
    expect(messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
    expect(messages[0]?.severity).toBe(2);
    expect(messages[0]?.message).toContain('Only src/commands and src/cli may import @oclif/*');
  });

  it.each([
    ['src/run/probe.ts', "import { DEFAULT_SPEC } from '../jobs/request-spec.js';\nexport const probe = DEFAULT_SPEC;\n"],
    ['src/gearman/probe.ts', "import { GearmanServerError } from './errors.js';\nexport const probe = GearmanServerError;\n"],
    ['src/cli/probe.ts', "import { Command } from '@oclif/core';\nexport const probe = Command;\n"],
  ])('allows %s: %s', async (file, code) => {
    expect(await layerMessages(file, code)).toEqual([]);
  });
});
