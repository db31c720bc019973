// The trace event kinds services/routing emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'discovery.register': true;
    'discovery.deregister': true;
    'discovery.expire': true;
    'discovery.healthy': true;
    'discovery.unhealthy': true;
    'discovery.view': true;
    'discovery.lookup-failed': true;
    'discovery.failover': true;
    'gateway.request': true;
    'gateway.cache-store': true;
    'gateway.cache-evict': true;
  }
}

export {};
