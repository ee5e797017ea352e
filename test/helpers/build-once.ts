// vitest globalSetup of the e2e and integration rings: they spawn bin/run.js, which runs the compiled dist/
// through oclif.manifest.json, so build both once before them, as `npm run build` does (a stale dist or
// manifest would test yesterday's code).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  // NODE_ENV=test (vitest's) would make oclif record the TypeScript sources in the manifest.
  execFileSync(process.execPath, ['node_modules/oclif/bin/run.js', 'manifest'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
