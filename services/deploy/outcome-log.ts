// Observes a gateway's request log from outside (its `gateway.request` trace events) and keeps the
// times of failed requests, so a scenario can count failures inside a window it only learns later
// (a rollout's start and end).
import type { Trace } from '../../sim/engine/trace.ts';

/** Failed gateway requests by time; bounded by the number of failures. */
export class GatewayOutcomeLog {
  /** True virtual times of failed requests, ascending. */
  private readonly failureTimesMs: number[] = [];
  /** Requests seen, failed or not. */
  requests = 0;

  /** Reads `gateway.request` events from the world's trace (detail `GET /path -> ok|cached|<code>`). */
  constructor(trace: Trace) {
    trace.addFilteredSink(['gateway.request'], (event) => {
      this.requests++;
      const outcome = event.detail?.slice(event.detail.lastIndexOf(' -> ') + 4);
      if (outcome !== 'ok' && outcome !== 'cached') this.failureTimesMs.push(event.atMs);
    });
  }

  /** Failed requests that ended in [fromMs, toMs). */
  failedBetween(fromMs: number, toMs: number): number {
    let count = 0;
    for (const atMs of this.failureTimesMs) if (atMs >= fromMs && atMs < toMs) count++;
    return count;
  }

  /** Every failed request so far. */
  get failed(): number {
    return this.failureTimesMs.length;
  }
}
