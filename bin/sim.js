#!/usr/bin/env node
// Launcher for the `sim` CLI: registers tsx once (so scenario files load as TypeScript), then runs
// bin/sim.ts. Starting through `node --import tsx` costs ~0.2 s; `npx tsx` would cost ~0.8 s.
import { register } from 'tsx/esm/api';
import { setFlagsFromString } from 'node:v8';

// Lets the engine drain continuations with V8's microtask checkpoint, called synchronously after
// each event (sim/engine/microtask-checkpoint.ts); V8 flags are per process, so sweep workers get it too.
setFlagsFromString('--allow-natives-syntax');
register();
await import('./sim.ts');
