// Composition of policies, like cockatiel's `wrap`: `wrap(a, b, c)` runs a outermost and c
// innermost around one operation, each passing its (possibly changed) attempt inward.
import { ConfigError } from '../../sim/engine/errors.ts';
import { FIRST_ATTEMPT, type Attempt, type Operation, type Policy } from './policy.ts';

/**
 * Policies applied in order around one operation. Order matters: `wrap(retry, breaker)` retries
 * through the breaker (each attempt is one breaker call; an open breaker fails the attempts fast),
 * while `wrap(breaker, retry)` counts one breaker call per whole retry sequence.
 */
export class WrappedPolicy implements Policy {
  readonly name: string;
  readonly policies: readonly Policy[];

  constructor(policies: readonly Policy[]) {
    if (policies.length === 0) throw new ConfigError('wrap: no policies given; pass at least one policy, outermost first');
    this.policies = policies.slice();
    this.name = `wrap(${policies.map((policy) => policy.name).join(',')})`;
  }

  /** Runs `operation` inside every policy, the first outermost. */
  execute<T>(operation: Operation<T>, attempt: Attempt = FIRST_ATTEMPT): Promise<T> {
    return this.runFrom(0, operation, attempt);
  }

  /** Runs policy `index` around the rest of the chain, the operation innermost. */
  private runFrom<T>(index: number, operation: Operation<T>, attempt: Attempt): Promise<T> {
    const policy = this.policies[index] as Policy;
    if (index === this.policies.length - 1) return policy.execute(operation, attempt);
    return policy.execute((inner) => this.runFrom(index + 1, operation, inner), attempt);
  }
}

/** Composes policies: the first given is the outermost. */
export function wrap(...policies: Policy[]): WrappedPolicy {
  return new WrappedPolicy(policies);
}
