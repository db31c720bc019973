// The trace event kinds services/deploy emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    deploy: true;
    rollback: true;
    scale: true;
    'heal.crash': true;
    'heal.restart': true;
    'hpa.decision': true;
    'pod.create': true;
    'pod.ready': true;
    'pod.unready': true;
    'pod.crash': true;
    'pod.liveness-failed': true;
    'pod.restart': true;
    'pod.terminating': true;
    'pod.terminated': true;
    'service.endpoint-add': true;
    'service.endpoint-remove': true;
  }
}

export {};
