// The names of trace events, as a type: a misspelt kind in `ctx.emit` is a compile error, and a
// reader finds every kind and what it means in one place per layer. The engine, world and harness
// kinds are here; each service group adds its own by declaration merging in its `trace-kinds.ts`:
// ```ts
// declare module '../../sim/engine/trace-kinds.ts' {
//   interface TraceKinds { 'retry.attempt': true }
// }
// ```

/** Every trace event kind, by name, with what it means. */
export interface TraceKinds {
  /** A message reached its destination. */
  'msg.delivered': true;
  /** A message was lost (partition, loss, a crashed receiver); detail says why. */
  'msg.dropped': true;
  /** The network delivered a copy of a message. */
  'msg.duplicated': true;
  /** A message is held on a link until released. */
  'msg.held': true;
  /** A held message was let go. */
  'msg.released': true;
  /** Groups of nodes were cut apart. */
  'net.partition': true;
  /** Partitions were healed. */
  'net.heal': true;
  /** A link started holding messages. */
  'net.hold': true;
  /** Held messages were released. */
  'net.release': true;
  /** A node (re)started: its factory built its service. */
  'node.start': true;
  /** A node crashed: volatile state and work in flight lost. */
  'node.crash': true;
  /** A node will crash on its next starts. */
  'node.crash-loop': true;
  /** A node crashed while starting. */
  'node.crash-on-start': true;
  /** A crashed node was restarted. */
  'node.restart': true;
  /** A node began a graceful stop. */
  'node.stop': true;
  /** A node finished its graceful stop. */
  'node.stopped': true;
  /** A node left the world. */
  'node.removed': true;
  /** A node stopped the world (GC pause, VM freeze). */
  'node.pause': true;
  /** A paused node runs again. */
  'node.resume': true;
  'node.slow': "a node's service times were multiplied";
  'node.skew': "a node's clock was skewed or set drifting";
  'process.error': "a node's background process threw";
  /** A full queue refused a request. */
  'request.shed': true;
  /** A queued request was dropped past its deadline. */
  'request.expired': true;
  /** A call got no answer before its deadline. */
  'rpc.timeout': true;
  /** One unit of work in a request finished. */
  span: true;
  /** A scheduled fault started. */
  fault: true;
  /** A scheduled fault ended. */
  'fault.end': true;
  variant: "one variant's trace hash, folded into the scenario's";
}

/** The name of a trace event kind: one of the engine's or one a service group declared. */
export type TraceKind = keyof TraceKinds & string;
