// Launcher for the thread that runs `sim run`: registers tsx in the thread (so scenario files load as
// TypeScript, as bin/sim.js does for the main thread), then runs bin/run-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./run-worker.ts');
