// The trace event kinds services/shop emits (see sim/engine/trace-kinds.ts): a misspelt kind
// in `ctx.emit` is then a compile error. Their details are described where each is emitted.

declare module '../../sim/engine/trace-kinds.ts' {
  interface TraceKinds {
    'order.created': true;
    'order.expired': true;
    'order.final': true;
    'payment.charged': true;
    'payment.declined': true;
    'payment.refunded': true;
    'payment.voided': true;
    'inventory.reserved': true;
    'inventory.rejected': true;
    'inventory.released': true;
    'shipping.scheduled': true;
    'shipping.cancelled': true;
    'shipping.rejected': true;
  }
}

export {};
