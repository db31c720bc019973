#!/usr/bin/env node
// Launcher for the `sim` CLI: registers tsx once (so scenario files load as TypeScript), then runs
// bin/sim.ts. Starting through `node --import tsx` costs ~0.2 s; `npx tsx` would cost ~0.8 s.
import { register } from 'tsx/esm/api';

// Runs see UTC whatever the host's zone (docs/determinism.md). Set before any thread starts: a
// worker thread reads its zone when it starts and ignores later changes of TZ.
process.env.TZ = 'UTC';
register();
await import('./sim.ts');
