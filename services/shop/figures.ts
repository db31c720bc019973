// Which way the shop's own figures (ShopSystem.metrics()) are better, for `sim compare`'s verdicts.
// Counts of orders created or of double charges prevented are neither: they only differ.

/** Directions of the shop's custom figures; a scenario passes them as its `figures`. */
export const SHOP_FIGURES: Readonly<Record<string, 'higher' | 'lower' | 'neither'>> = {
  ordersCreated: 'neither',
  ordersConfirmed: 'higher',
  ordersCancelled: 'lower',
  ordersNonFinal: 'lower',
  ordersNonFinalAtLoadEnd: 'lower',
  timeToFinalP50Ms: 'lower',
  timeToFinalP99Ms: 'lower',
  compensations: 'lower',
  doubleChargesPrevented: 'neither',
};
