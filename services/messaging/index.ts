// services/messaging: its public face.
export * from './broker-log.ts';
export * from './broker.ts';
export * from './bus-client.ts';
export * from './bus.ts';
export * from './idempotent.ts';
export * from './trace-kinds.ts';
