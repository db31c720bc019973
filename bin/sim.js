#!/usr/bin/env node
// Launcher for the `sim` CLI. In this repository (bin/sim.ts beside this file) it registers tsx and
// runs the TypeScript sources, so an edit takes effect at once; in the installed package (only
// dist/ is shipped) it runs the compiled JavaScript, which registers tsx itself, and only when a
// scenario file needs it (see bin/load-scenario.ts). Measured start-up: docs/packaging.md.
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// Runs see UTC whatever the host's zone (docs/determinism.md). Set before any thread starts: a
// worker thread reads its zone when it starts and ignores later changes of TZ.
process.env.TZ = 'UTC';
// Lets the engine drain continuations with V8's microtask checkpoint, called synchronously after
// each event (sim/engine/microtask-checkpoint.ts); V8 flags are per process, so workers get it too.
setFlagsFromString('--allow-natives-syntax');

if (existsSync(new URL('./sim.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./sim.ts');
} else {
  await import('../dist/bin/sim.js');
}
