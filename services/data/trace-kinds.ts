// The trace event kinds services/data emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'db.open': true;
    'db.commit': true;
    'db.rollback': true;
    'db.sync': true;
    'db.lost-unsynced': true;
    'db.refused': true;
    'eventstore.append': true;
    'eventstore.conflict': true;
    'eventstore.snapshot': true;
    'outbox.relay-start': true;
    'outbox.published': true;
    'outbox.publish-failed': true;
    'projection.start': true;
    'projection.applied': true;
    'projection.poll-failed': true;
  }
}

export {};
