// A command loads only what it needs: start-up time is mostly module loading (docs/performance.md).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';

const PRELOAD = fileURLToPath(new URL('../fixtures/list-loaded-modules.cjs', import.meta.url));
const TRACE_WASM = fileURLToPath(new URL('../fixtures/trace-wasm-tiers.cjs', import.meta.url));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-startup-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadedModules(args: string[]): Promise<string[]> {
  const out = join(dir, 'modules.txt');
  const result = await runCli(args, { env: { NODE_OPTIONS: `--require ${PRELOAD}`, LOADED_MODULES_OUT: out } });
  expect(result.stderr).not.toMatch(/Error/);
  return (await readFile(out, 'utf8')).split('\n');
}

const fromPackage = (modules: string[], name: string): string[] => modules.filter((m) => m.includes(`/node_modules/${name}/`));

describe('start-up', () => {
  it('a --dry-run loads neither undici nor cli-progress, nor semver for oclif’s check of the Node version', async () => {
    const modules = await loadedModules(['pull', '127.0.0.1', '--dry-run']);
    expect(fromPackage(modules, '@oclif/core').length).toBeGreaterThan(0); // the preload saw the run at all
    expect(fromPackage(modules, 'undici')).toEqual([]);
    expect(fromPackage(modules, 'cli-progress')).toEqual([]);
    expect(fromPackage(modules, 'semver')).toEqual([]);
  });

  describe('a pull into a pipe', () => {
    let fleet: Fleet;
    beforeEach(async () => {
      fleet = await startFleet({ hosts: 1 });
    });
    afterEach(async () => {
      await fleet.close();
    });

    it('loads undici’s client, not all of undici, and no progress bar', async () => {
      const modules = await loadedModules(['pull', ...fleet.hosts, '-q']);
      const undici = fromPackage(modules, 'undici');
      expect(undici.some((m) => m.endsWith('/lib/dispatcher/client.js'))).toBe(true);
      expect(undici.filter((m) => m.includes('/lib/web/fetch/') || m.endsWith('/undici/index.js'))).toEqual([]);
      expect(fromPackage(modules, 'cli-progress')).toEqual([]);
    });

    // TurboFan's recompile of llhttp took 160 ms and 40 MB, and a one-host run waited for it before exiting.
    it('parses with Liftoff code only: llhttp is never recompiled by TurboFan', async () => {
      const result = await runCli(['pull', ...fleet.hosts, '-q', '-o', join(dir, 'out.ndjson')], {
        env: { NODE_OPTIONS: `--require ${TRACE_WASM}` },
      });
      expect(result.exitCode).toBe(0);
      expect(await readFile(join(dir, 'out.ndjson'), 'utf8')).toContain('"ok":true');
      expect(result.stdout).toMatch(/using Liftoff/); // the trace saw llhttp compiled at all
      expect(result.stdout).not.toMatch(/using TurboFan/);
    });
  });
});
