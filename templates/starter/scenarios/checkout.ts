// A starter scenario, written by `sim init`: a gateway in front of a checkout service that calls
// payments, and payments crashes for 3 s in the middle of the run. Two designs side by side:
//
//   direct    checkout calls payments with a timeout and nothing else
//   breaker   the same call under a circuit breaker with a fallback: while payments is down,
//             checkout answers "pending" at once instead of waiting for a timeout
//
// Run it:   npx sim run scenarios/checkout.ts --seed 1
// Sweep it: npx sim sweep scenarios/checkout.ts --seeds 1..200
// Test it:  npx vitest run
import { scenario, always, eventually, crash, type NodeContext, type Request, type World } from 'dsim';
import {
  gateway, registryNode, registered, DiscoveryClient, serviceClient, CircuitBreaker, ConsecutiveFailureStrategy, fallback, wrap,
  GATEWAY_METHOD, type GatewayRequest, type ForwardedRequest, type Policy,
} from 'dsim/services';

/** What checkout answers: paid now, or accepted and paid later. */
interface Receipt {
  status: 'paid' | 'pending';
}

/** Counters read from outside the services by the checks and the report. */
class CheckoutMeter {
  paid = 0;
  pending = 0;
  /** Charges per order: an order charged twice is a bug in the design. */
  readonly charges = new Map<number, number>();
  breakerOpenings = 0;
  /** Virtual time of the last answer that was paid at once, in ms. */
  lastPaidAtMs = 0;
}

/** What a variant builds, as the checks and the report see it. */
interface CheckoutSystem {
  entry: string;
  meter: CheckoutMeter;
  metrics(): Record<string, number>;
}

/** The policy checkout calls payments under, built once per checkout start. */
type PaymentsPolicy = (ctx: NodeContext, meter: CheckoutMeter) => Policy | undefined;

const direct: PaymentsPolicy = () => undefined;

const withBreaker: PaymentsPolicy = (ctx, meter) => {
  const breaker = new CircuitBreaker(ctx, { strategy: new ConsecutiveFailureStrategy({ failureThreshold: 3 }), openDurationMs: 500, peer: 'payments' });
  breaker.onStateChange((change) => {
    if (change.to === 'open') meter.breakerOpenings++;
  });
  // Outermost first: any failure (an open circuit included) becomes a pending order.
  return wrap(fallback(ctx, { value: { status: 'pending' } satisfies Receipt }), breaker);
};

function build(policy: PaymentsPolicy) {
  return (world: World): CheckoutSystem => {
    const meter = new CheckoutMeter();
    world.addNode('registry', registryNode());
    world.addNode(
      'gateway',
      gateway({ registry: 'registry', routes: [{ prefix: '/api/checkout', service: 'checkout', timeoutMs: 400 }] }),
    );
    world.addNode(
      'checkout',
      registered({ registry: 'registry', service: 'checkout' }, (ctx) => {
        const discovery = new DiscoveryClient(ctx, { registry: 'registry' });
        const paymentsPolicy = policy(ctx, meter);
        const payments = serviceClient(ctx, { service: 'payments', discovery, timeoutMs: 200, ...(paymentsPolicy ? { policy: paymentsPolicy } : {}) });
        return {
          handlers: {
            http: async (forwarded: ForwardedRequest, request: Request): Promise<Receipt> => {
              await request.cpu(1);
              const receipt = await payments.call<Receipt>('charge', forwarded.body, { parent: request });
              if (receipt.status === 'paid') {
                meter.paid++;
                meter.lastPaidAtMs = world.nowMs;
              } else {
                meter.pending++;
              }
              return receipt;
            },
          },
        };
      }),
    );
    world.addNode(
      'payments',
      registered({ registry: 'registry', service: 'payments' }, (ctx) => ({
        handlers: {
          charge: async (body: { order: number }): Promise<Receipt> => {
            await ctx.cpu(ctx.rng.exponential(3));
            meter.charges.set(body.order, (meter.charges.get(body.order) ?? 0) + 1);
            return { status: 'paid' };
          },
        },
      })),
      { workers: 8 },
    );
    return {
      entry: 'gateway',
      meter,
      metrics: () => ({ paid: meter.paid, pending: meter.pending, breakerOpenings: meter.breakerOpenings }),
    };
  };
}

export default scenario<CheckoutSystem>({
  name: 'checkout',
  description: 'Payments crashes for 3 s behind a checkout service: a plain call versus a circuit breaker with a fallback.',
  durationMs: 10_000,
  quiesceMs: 3_000,
  network: { latencyMs: { kind: 'lognormal', median: 1, sigma: 0.4 } },
  workload: {
    kind: 'open',
    ratePerSec: 50,
    timeoutMs: 1_000,
    request: (rng, index): { endpoint: string; method: string; payload: GatewayRequest } => ({
      endpoint: 'POST /api/checkout',
      method: GATEWAY_METHOD,
      payload: { path: '/api/checkout', method: 'POST', body: { order: index, amount: rng.int(1, 100) } },
    }),
  },
  faults: [{ atMs: 4_000, durationMs: 3_000, fault: crash('payments') }],
  variants: [
    { name: 'direct', description: 'a plain call with a 200 ms timeout', build: build(direct) },
    { name: 'breaker', description: 'breaker (3 failures open it for 500 ms) + fallback to pending', build: build(withBreaker) },
  ],
  checks: [
    always('no order is charged twice', ({ system }) => {
      for (const [order, count] of system.meter.charges) if (count > 1) return `order ${order} charged ${count} times`;
      return true;
    }),
    eventually('checkout pays again once payments is back', ({ system }) => system.meter.lastPaidAtMs > 7_000),
  ],
});
