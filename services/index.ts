// Every pattern of the seed through one entry point: `import { gateway, CircuitBreaker } from 'dsim/services'`.
//
// Imports between the groups point one way, and none back (no cycles; `npm run check:imports`):
//   shop       → sagas, data, messaging, resilience, routing, deploy
//   consistency → data, messaging, resilience, routing (histories and their checkers)
//   deploy     → routing
//   sagas      → data, messaging, resilience
//   data       → messaging
//   routing    → resilience
//   messaging, resilience → the engine only
// Every group imports the engine (`sim/`) and nothing above it.
export * from './routing/index.ts';
export * from './resilience/index.ts';
export * from './messaging/index.ts';
export * from './data/index.ts';
export * from './sagas/index.ts';
export * from './deploy/index.ts';
export * from './shop/index.ts';
export * from './consistency/index.ts';
