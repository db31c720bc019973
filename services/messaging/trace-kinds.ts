// The trace event kinds services/messaging emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'bus.ack': true;
    'bus.dead-letter': true;
    'bus.deliver-failed': true;
    'bus.group-created': true;
    'bus.member-join': true;
    'bus.member-leave': true;
    'bus.nack': true;
    'bus.publish': true;
    'bus.publish-retry': true;
    'bus.rebalance': true;
    'bus.subscribe': true;
    'bus.topic-created': true;
    'bus.redeliver': true;
    'bus.deliver': true;
    'idempotent.duplicate': true;
  }
}

export {};
