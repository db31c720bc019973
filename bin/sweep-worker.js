// Launcher for a sweep worker thread: registers tsx in the thread (so scenario files load as
// TypeScript, as bin/sim.js does for the main thread), then runs bin/sweep-worker.ts.
import { register } from 'tsx/esm/api';
import { setFlagsFromString } from 'node:v8';

// The engine's fast drain (sim/engine/microtask-checkpoint.ts), also when the pool was started
// by a process that did not set it (a benchmark, a user's own node).
setFlagsFromString('--allow-natives-syntax');
register();
await import('./sweep-worker.ts');
