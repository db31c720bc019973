// The trace event kinds services/resilience emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'breaker.state': true;
    'bulkhead.state': true;
    'fallback.used': true;
    'hedge.attempt': true;
    'hedge.won': true;
    'retry.attempt': true;
    'retry.budget-exhausted': true;
    'retry.deadline': true;
    'timeout.expired': true;
  }
}

export {};
