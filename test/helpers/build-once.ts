// vitest globalSetup of the e2e and integration rings: they spawn bin/run.js, which runs the compiled dist/,
// so compile it once before them (a stale dist would test yesterday's code).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
}
