// The trace event kinds services/sagas emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'saga.start': true;
    'saga.step': true;
    'saga.compensate': true;
    'saga.compensate-retry': true;
    'saga.conflict': true;
    'saga.deferred': true;
    'saga.done': true;
    'saga.failed': true;
    'saga.gave-up': true;
    'saga.resume': true;
  }
}

export {};
