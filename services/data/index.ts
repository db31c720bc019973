// services/data: its public face.
export * from './database.ts';
export * from './db-node.ts';
export * from './eventstore.ts';
export * from './outbox.ts';
export * from './projection.ts';
export * from './trace-kinds.ts';
