// Launcher for a sweep worker thread: registers tsx in the thread (so scenario files load as
// TypeScript, as bin/sim.js does for the main thread), then runs bin/sweep-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./sweep-worker.ts');
