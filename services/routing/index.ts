// services/routing: its public face.
export * from './balancer.ts';
export * from './cache.ts';
export * from './client.ts';
export * from './discovery-client.ts';
export * from './discovery.ts';
export * from './gateway.ts';
export * from './hashring.ts';
export * from './instance.ts';
export * from './microservice.ts';
export * from './ratelimit.ts';
export * from './registration.ts';
export * from './staleness.ts';
export * from './trace-kinds.ts';
