// Overlays: a dotted path sets (or with null deletes) one value of a copy of the base model.
import { describe, expect, it } from 'vitest';
import { applyOverlay } from './overlay.ts';

const base = () => ({ services: { orders: { calls: { payments: { timeoutMs: 300 } }, operations: { place: { cpuMs: 1, steps: [{ call: 'payments.charge' }] } } } }, faults: [] });

describe('applyOverlay', () => {
  it('sets a new key under an existing path and leaves the base untouched', () => {
    const original = base();
    const result = applyOverlay(original, { 'services.orders.calls.payments.breaker': { failureThreshold: 5 } }, 'variants.v') as any;
    expect(result.services.orders.calls.payments).toEqual({ timeoutMs: 300, breaker: { failureThreshold: 5 } });
    expect(original.services.orders.calls.payments).toEqual({ timeoutMs: 300 });
  });

  it('indexes lists by number and deletes with null', () => {
    const result = applyOverlay(base(), { 'services.orders.operations.place.steps.0.probability': 0.5, 'services.orders.calls.payments.timeoutMs': null }, 'variants.v') as any;
    expect(result.services.orders.operations.place.steps[0]).toEqual({ call: 'payments.charge', probability: 0.5 });
    expect(result.services.orders.calls.payments).toEqual({});
  });

  it('refuses a path through something missing, naming the nearest key', () => {
    expect(() => applyOverlay(base(), { 'services.order.calls.payments.breaker': {} }, 'variants.v')).toThrow(
      'variants.v: "services.order.calls.payments.breaker" matches nothing: no "order" in services: did you mean "orders"?',
    );
    expect(() => applyOverlay(base(), { 'services.orders.operations.place.steps.3.probability': 1 }, 'variants.v')).toThrow('matches nothing: no "3" in services.orders.operations.place.steps');
  });
});
