// A scripted client: an async function that sends requests from outside the system, like the
// workload does, for scenarios whose traffic is a story (sign up, then order, then cancel) rather
// than a rate. Its requests enter as the workload's do and the harness counts them the same way.
import { outcomeError, type CallOutcome } from './rpc.ts';
import type { Simulation } from '../engine/simulation.ts';

/** What the client needs of the world: its clock and its front door. */
export interface ClientHost {
  readonly sim: Simulation;
  request(to: string, method: string, payload: unknown, options: { timeoutMs?: number }, onDone: (outcome: CallOutcome) => void): void;
}

/** Told of every scripted request, so the harness can count it like workload traffic. */
export interface ClientObserver {
  sent(endpoint: string, startMs: number): void;
  finished(endpoint: string, startMs: number, endMs: number, outcome: CallOutcome): void;
}

/** Options of one scripted call. */
export interface ClientCallOptions {
  /** The client gives up after this many ms (the request then counts as failed). Default 1000. */
  timeoutMs?: number;
  /** The endpoint the request is counted under in the metrics. Default: the method name. */
  endpoint?: string;
}

/** The script's handle: virtual time, sleeps and calls. */
export class ClientContext {
  constructor(
    private readonly host: ClientHost,
    private readonly observer: () => ClientObserver | undefined,
  ) {}

  /** The virtual time. */
  get nowMs(): number {
    return this.host.sim.nowMs;
  }

  /** Waits `durationMs` of virtual time (a think time between requests). */
  sleep(durationMs: number): Promise<void> {
    return this.host.sim.sleep(durationMs);
  }

  /** Sends one request to node `to`; resolves with the answer or rejects with an RpcError. */
  call<T = unknown>(to: string, method: string, payload?: unknown, options: ClientCallOptions = {}): Promise<T> {
    const sim = this.host.sim;
    const endpoint = options.endpoint ?? method;
    const startMs = sim.nowMs;
    this.observer()?.sent(endpoint, startMs);
    return new Promise<T>((resolve, reject) => {
      this.host.request(to, method, payload, options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}, (outcome) => {
        this.observer()?.finished(endpoint, startMs, sim.nowMs, outcome);
        sim.wake();
        if (outcome.ok) resolve(outcome.value as T);
        else reject(outcomeError(outcome));
      });
    });
  }
}

/**
 * A client script. It runs as a process on the world's clock: an error it lets escape stops the
 * run (catch the RpcErrors you expect). Keep it bounded: loop while `ctx.nowMs` is below an end.
 */
export type ClientScript = (ctx: ClientContext) => Promise<void>;
