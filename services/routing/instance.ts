// One service instance as a caller sees it: what discovery reported plus what the caller itself
// tracks (requests in flight). Balancers choose among these.

/**
 * A service instance in a caller's view. Discovery keeps one object per instance name and reuses it
 * across view refreshes, so counts like `inFlight` survive a refresh.
 */
export interface ServiceInstance {
  /** The instance's node name: the address calls go to. */
  readonly name: string;
  /** The service it serves (`payments`). */
  readonly service: string;
  /** Relative share of traffic for weighted balancers (>= 1 in practice; registration default 1). */
  weight: number;
  /** Calls this caller has sent to the instance that have not ended yet (least-connections, p2c). */
  inFlight: number;
  /** Node-clock time of the last call routed here, if any (how stale the caller's view was). */
  lastRoutedMs?: number;
}

/** Builds a fresh instance record with no calls in flight. */
export function newInstance(service: string, name: string, weight = 1): ServiceInstance {
  return new InstanceRecord(name, service, weight);
}

/**
 * The record discovery keeps per instance. The last routed time lives in a field that is a number
 * from the start (NaN: never routed), so V8 updates it in place: a field that starts `undefined`
 * boxes every stored time in a new heap number, one allocation per routed call that outlives the
 * young generation on large meshes.
 */
class InstanceRecord implements ServiceInstance {
  inFlight = 0;
  private routedAtMs = NaN;

  constructor(
    readonly name: string,
    readonly service: string,
    public weight: number,
  ) {}

  get lastRoutedMs(): number | undefined {
    return Number.isNaN(this.routedAtMs) ? undefined : this.routedAtMs;
  }

  set lastRoutedMs(valueMs: number | undefined) {
    this.routedAtMs = valueMs ?? NaN;
  }
}
