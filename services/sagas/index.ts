// services/sagas: its public face.
export * from './choreography.ts';
export * from './orchestrator.ts';
export * from './trace-kinds.ts';
