#!/usr/bin/env node
import process from 'node:process';
import { setFlagsFromString } from 'node:v8';

// V8 flags, set before any code they concern runs; they are per process, so executor threads get them too (and
// --processes children run this file). Measured in docs/performance.md.
// - undici parses responses with llhttp compiled to WebAssembly. After the first response V8 recompiles llhttp's
//   main function with TurboFan in the background: 160 ms of CPU and 40 MB of memory, and a short run waits for
//   it at exit. Liftoff's code parses fanout's responses as fast.
// - The old generation may grow to twice what the last full GC kept, where V8 would let it grow up to four times
//   in a young process: a run keeps little alive (16 MB at 10,000 hosts), and the rest was garbage held as RSS
//   (-20% at 10,000 hosts, -17% at 100,000; CPU unchanged within the noise).
setFlagsFromString('--liftoff-only');
setFlagsFromString('--heap-growing-percent=100');

// At import, @oclif/core checks the Node version against its own engines with the semver package: some 45
// modules and 15-20 ms of every start. Its range is wider than fanout's own (package.json), so on a Node that
// fanout supports the check can only pass.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
const { execute, settings } = await import('@oclif/core');

// This is the built CLI: it runs dist/ (through oclif.manifest.json) even when NODE_ENV is development or test,
// where oclif would otherwise look for the TypeScript sources and a transpiler.
settings.enableAutoTranspile = false;

await execute({ dir: import.meta.url });
