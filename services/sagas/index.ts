// services/sagas: its public face.
export * from './choreography.ts';
export * from './orchestrator.ts';
