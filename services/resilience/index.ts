// services/resilience: its public face.
export * from './breaker-strategies.ts';
export * from './breaker.ts';
export * from './bulkhead.ts';
export * from './fallback.ts';
export * from './hedge.ts';
export * from './policy.ts';
export * from './retry.ts';
export * from './timeout.ts';
export * from './wrap.ts';
export * from './trace-kinds.ts';
