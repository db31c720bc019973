// The call graph of one operation, accumulated over its spans: which calls they make, how often,
// in which order, and which usually overlap in time (a parallel group).
import type { TraceSpan } from './otlp-read.ts';
import { operationOf } from './trace-names.ts';

/** Two calls overlapping in at least this share of the spans holding both run in parallel. */
const PARALLEL_SHARE = 0.5;
/** Call shares below this are noise, not part of the model. */
const MIN_SHARE = 1e-3;

/** What was inferred about one downstream call of an operation. */
export interface InferredCall {
  target: string;
  probability: number;
  /** Mean calls per parent span that made it (>= 1): repeated calls become repeated steps. */
  repeat: number;
  /** Parent spans that made the call, out of `of`. */
  seen: number;
  of: number;
  /** Longest call seen (the callee's span), ms. */
  maxMs: number;
}

/** Per operation: which calls its spans make, how often, in which order, and which overlap. */
export class CallStats {
  private parents = 0;
  private readonly targets = new Map<string, { seen: number; calls: number; offsetMs: number; maxMs: number }>();
  /** `a\u0000b` → [spans holding both, spans where their first calls overlapped]. */
  private readonly pairs = new Map<string, [number, number]>();

  add(parent: TraceSpan, kids: readonly TraceSpan[]): void {
    this.parents++;
    const first = new Map<string, TraceSpan>();
    for (const kid of [...kids].sort((a, b) => a.startMs - b.startMs)) {
      const target = operationOf(kid);
      const entry = this.targets.get(target) ?? { seen: 0, calls: 0, offsetMs: 0, maxMs: 0 };
      entry.calls++;
      entry.maxMs = Math.max(entry.maxMs, kid.endMs - kid.startMs);
      if (!first.has(target)) {
        first.set(target, kid);
        entry.seen++;
        entry.offsetMs += kid.startMs - parent.startMs;
      }
      this.targets.set(target, entry);
    }
    const present = [...first.keys()].sort();
    for (let i = 0; i < present.length; i++) {
      for (let j = i + 1; j < present.length; j++) {
        const a = first.get(present[i]!)!;
        const b = first.get(present[j]!)!;
        const pair = `${present[i]}\u0000${present[j]}`;
        const counts = this.pairs.get(pair) ?? [0, 0];
        counts[0]++;
        if (a.startMs < b.endMs && b.startMs < a.endMs) counts[1]++;
        this.pairs.set(pair, counts);
      }
    }
  }

  /** Calls in order of their mean start; calls that usually overlap share a parallel group. */
  groups(): InferredCall[][] {
    const calls = [...this.targets]
      .filter(([, entry]) => entry.seen / this.parents >= MIN_SHARE)
      .sort((a, b) => a[1].offsetMs / a[1].seen - b[1].offsetMs / b[1].seen || a[0].localeCompare(b[0]));
    const groups: InferredCall[][] = [];
    for (const [target, entry] of calls) {
      const call: InferredCall = {
        target,
        probability: Math.min(1, entry.seen / this.parents),
        repeat: Math.max(1, entry.calls / entry.seen),
        seen: entry.seen,
        of: this.parents,
        maxMs: entry.maxMs,
      };
      const current = groups[groups.length - 1];
      if (current && current.every((member) => this.parallel(member.target, target))) current.push(call);
      else groups.push([call]);
    }
    return groups;
  }

  private parallel(a: string, b: string): boolean {
    const counts = this.pairs.get(a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
    return counts !== undefined && counts[1] / counts[0] >= PARALLEL_SHARE;
  }
}
