// Consistency measurements of one shop run, kept outside the nodes (built in a variant's build and
// handed to the procedures, which report after each commit), so they survive crashes: orders
// created and finalised, time from creation to final state, compensations, duplicates absorbed.
import { LatencyHistogram } from '../../sim/harness/metrics.ts';

/** What the shop's procedures report after their transaction commits. Must not affect the run. */
export interface ShopObserver {
  orderCreated(orderId: string): void;
  orderFinal(orderId: string, status: 'CONFIRMED' | 'CANCELLED'): void;
  /** A compensation undid something (a refund of a charge, a release of stock, a cancelled shipment). */
  compensation(kind: 'refund' | 'release' | 'cancel-shipment'): void;
  /** A charge for an order already charged was answered from the record instead of charging again. */
  duplicateCharge(orderId: string): void;
}

/**
 * The shop's consistency metrics, on the true virtual clock (`nowMs` reads the simulation, never
 * a node's skewable clock). Memory: one entry per order not yet final, plus fixed-size histograms.
 */
export class ShopMetrics implements ShopObserver {
  /** Creation time of orders not final yet. */
  private readonly openSince = new Map<string, number>();
  readonly timeToFinal = new LatencyHistogram();
  created = 0;
  finalised = 0;
  refunds = 0;
  releases = 0;
  cancelledShipments = 0;
  duplicateChargesAbsorbed = 0;

  constructor(private readonly nowMs: () => number) {}

  orderCreated(orderId: string): void {
    if (this.openSince.has(orderId)) return;
    this.created++;
    this.openSince.set(orderId, this.nowMs());
  }

  orderFinal(orderId: string): void {
    const since = this.openSince.get(orderId);
    if (since === undefined) return;
    this.openSince.delete(orderId);
    this.finalised++;
    this.timeToFinal.record(this.nowMs() - since);
  }

  compensation(kind: 'refund' | 'release' | 'cancel-shipment'): void {
    if (kind === 'refund') this.refunds++;
    else if (kind === 'release') this.releases++;
    else this.cancelledShipments++;
  }

  duplicateCharge(): void {
    this.duplicateChargesAbsorbed++;
  }

  /** Orders created and not final yet. */
  get open(): number {
    return this.openSince.size;
  }
}
