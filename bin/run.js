#!/usr/bin/env node
import { execute, settings } from '@oclif/core';

// This is the built CLI: it runs dist/ (through oclif.manifest.json) even when NODE_ENV is development or test,
// where oclif would otherwise look for the TypeScript sources and a transpiler.
settings.enableAutoTranspile = false;

await execute({ dir: import.meta.url });
