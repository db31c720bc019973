import { describe, expect, it } from 'vitest';
import { newInstance } from './instance.ts';

describe('newInstance', () => {
  it('starts with no calls in flight and no routed time; the routed time reads back as set', () => {
    const instance = newInstance('payments', 'payments-1', 3);
    expect([instance.service, instance.name, instance.weight, instance.inFlight, instance.lastRoutedMs]).toEqual(['payments', 'payments-1', 3, 0, undefined]);
    instance.lastRoutedMs = 1234.5;
    expect(instance.lastRoutedMs).toBe(1234.5);
    instance.lastRoutedMs = 0;
    expect(instance.lastRoutedMs).toBe(0);
    instance.lastRoutedMs = undefined;
    expect(instance.lastRoutedMs).toBeUndefined();
  });

  it('defaults the weight to 1', () => {
    expect(newInstance('payments', 'payments-1').weight).toBe(1);
  });
});
