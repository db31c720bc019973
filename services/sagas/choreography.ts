// The choreographed saga: no coordinator; each participant reacts to the previous step's event,
// publishes its own outcome, and compensates when a later step fails or compensates — so
// compensations run newest first along the chain. Topics are wired from one ordered definition.
import { registerTimelineKinds } from '../../sim/harness/timeline.ts';
import type { NodeContext } from '../../sim/world/context.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import type { BusClient } from '../messaging/bus-client.ts';
import type { DeliveryMeta } from '../messaging/bus.ts';
import type { Procedure } from '../data/db-node.ts';
import { TimeoutPolicy } from '../resilience/timeout.ts';

// Compensations show on the timeline.
registerTimelineKinds('saga.start', 'saga.step', 'saga.compensate', 'saga.done', 'saga.failed');

/** One participant's step and the topics it publishes. */
export interface ChoreographyStep {
  /** The step (`payment`). */
  readonly name: string;
  /** Published when the step took effect (`payment.succeeded`). */
  readonly succeeded: string;
  /** Published when the step refused, with no effect (`payment.failed`). */
  readonly failed: string;
  /** Published when the step's effect was undone, or a tombstone written so it never happens (`payment.refunded`). */
  readonly compensated: string;
}

/** A choreography: the initiator's start event, the steps in order, and an optional abort event. */
export interface Choreography {
  readonly name: string;
  /** Published by the initiator to start a saga (`order.created`). */
  readonly started: string;
  readonly steps: readonly ChoreographyStep[];
  /** Published by the initiator when a saga overran its deadline: the last step compensates first. */
  readonly aborted?: string;
}

/** Validates a choreography (non-empty, unique step names and topics); throws ConfigError. */
export function defineChoreography(definition: Choreography): Choreography {
  const where = `choreography ${definition.name}`;
  if (definition.steps.length === 0) throw new ConfigError(`${where} has no steps: give it at least one { name, succeeded, failed, compensated }`);
  const topics = new Set<string>();
  const claim = (topic: string, what: string): void => {
    if (!topic) throw new ConfigError(`${where}: ${what} has no topic name`);
    if (topics.has(topic)) throw new ConfigError(`${where}: topic '${topic}' is used twice (${what}); each event needs its own topic`);
    topics.add(topic);
  };
  claim(definition.started, 'started');
  if (definition.aborted !== undefined) claim(definition.aborted, 'aborted');
  const names = new Set<string>();
  for (const step of definition.steps) {
    if (names.has(step.name)) throw new ConfigError(`${where}: step name '${step.name}' is used twice`);
    names.add(step.name);
    claim(step.succeeded, `${step.name}.succeeded`);
    claim(step.failed, `${step.name}.failed`);
    claim(step.compensated, `${step.name}.compensated`);
  }
  return definition;
}

/** The topics one participant consumes: what runs its step, and what compensates it. */
export interface ParticipantTopics {
  step: ChoreographyStep;
  /** The event that runs the step: the initiator's start for the first step, else the previous step's success. */
  trigger: string;
  /**
   * The events that compensate it: the next step failing or compensating (so the chain unwinds
   * newest first); for the last step, the abort event.
   */
  compensateOn: string[];
}

/** Where participant `stepName` sits in the chain. */
export function participantTopics(choreography: Choreography, stepName: string): ParticipantTopics {
  const steps = choreography.steps;
  const index = steps.findIndex((step) => step.name === stepName);
  if (index < 0) throw new ConfigError(`choreography ${choreography.name} has no step '${stepName}': it has ${steps.map((s) => s.name).join(', ')}`);
  const step = steps[index]!;
  const trigger = index === 0 ? choreography.started : steps[index - 1]!.succeeded;
  const next = steps[index + 1];
  const compensateOn = next !== undefined ? [next.failed, next.compensated] : choreography.aborted !== undefined ? [choreography.aborted] : [];
  return { step, trigger, compensateOn };
}

/** The topics the initiator consumes: the saga completes on the last success and is cancelled on the first step's failure or compensation. */
export interface InitiatorTopics {
  completeOn: string;
  cancelOn: string[];
}

/** The initiator's view of a choreography. */
export function initiatorTopics(choreography: Choreography): InitiatorTopics {
  const steps = choreography.steps;
  return { completeOn: steps[steps.length - 1]!.succeeded, cancelOn: [steps[0]!.failed, steps[0]!.compensated] };
}

/** How a participant runs its step and its compensation (both idempotent, keyed by the saga). */
export interface ParticipantHandlers<E> {
  /**
   * Runs the step and publishes its outcome (`succeeded` or `failed`) in the same local
   * transaction (outbox); publishes nothing when the saga was seen before (a duplicate), and
   * refuses (`failed`-like, silently) a saga whose compensation tombstone is already written.
   */
  act(event: E, meta: DeliveryMeta): Promise<unknown>;
  /**
   * Undoes the step, or writes a tombstone if it never ran, and publishes `compensated` when that
   * changed something; publishes nothing for a duplicate or a step that had refused.
   */
  compensate(event: E, meta: DeliveryMeta): Promise<unknown>;
}

/** Participant settings. */
export interface ParticipantOptions {
  /** The consumer group (the service name): its instances share the work. */
  group: string;
  /** Time limit of each handling; an overrun nacks the event for redelivery. Default 1000 ms. */
  stepTimeoutMs?: number;
}

/**
 * Subscribes a participant on its node's bus client (call it in `onStart`): the trigger runs
 * `act`, each compensating event runs `compensate`, each under the step time limit. Emits
 * `saga.step` and `saga.compensate` trace events (detail `<topic> <key>`).
 */
export function joinChoreography<E>(
  ctx: NodeContext,
  bus: BusClient,
  choreography: Choreography,
  stepName: string,
  handlers: ParticipantHandlers<E>,
  options: ParticipantOptions,
): ParticipantTopics {
  const topics = participantTopics(choreography, stepName);
  const limit = stepLimit(ctx, options.stepTimeoutMs);
  bus.subscribe<E>(topics.trigger, { group: options.group }, (event, meta) => {
    ctx.emit('saga.step', `${meta.topic} ${meta.key} -> ${stepName}`);
    return limit.execute(() => handlers.act(event, meta)).then(ignore);
  });
  for (const topic of topics.compensateOn) {
    bus.subscribe<E>(topic, { group: options.group }, (event, meta) => {
      ctx.emit('saga.compensate', `${meta.topic} ${meta.key} -> ${stepName}`);
      return limit.execute(() => handlers.compensate(event, meta)).then(ignore);
    });
  }
  return topics;
}

/** How the initiator ends sagas (both idempotent: final states never change). */
export interface InitiatorHandlers<E> {
  /** The last step succeeded: complete the saga (unless it is being aborted). */
  complete(event: E, meta: DeliveryMeta): Promise<unknown>;
  /** The first step failed or was compensated: the saga is cancelled. */
  cancel(event: E, meta: DeliveryMeta): Promise<unknown>;
}

/** Subscribes the initiator's end-of-saga handlers (call it in `onStart`). */
export function initiateChoreography<E>(
  ctx: NodeContext,
  bus: BusClient,
  choreography: Choreography,
  handlers: InitiatorHandlers<E>,
  options: ParticipantOptions,
): InitiatorTopics {
  const topics = initiatorTopics(choreography);
  const limit = stepLimit(ctx, options.stepTimeoutMs);
  bus.subscribe<E>(topics.completeOn, { group: options.group }, (event, meta) => limit.execute(() => handlers.complete(event, meta)).then(ignore));
  for (const topic of topics.cancelOn) {
    bus.subscribe<E>(topic, { group: options.group }, (event, meta) => limit.execute(() => handlers.cancel(event, meta)).then(ignore));
  }
  return topics;
}

/** What a publishing procedure emits: one event, or nothing. */
export interface OutgoingEvent {
  topic: string;
  key: string;
  event: unknown;
}

/**
 * Wraps a procedure so that the event `outgoing(result, args)` names is written to the outbox in
 * the same transaction as the procedure's own writes: the state change and its announcement
 * commit together or not at all.
 */
export function publishingProcedure<A, R>(procedure: Procedure<A, R>, outgoing: (result: R, args: A) => OutgoingEvent | undefined): Procedure<A, R> {
  return async (tx, args, context) => {
    const result = await procedure(tx, args, context);
    const message = outgoing(result, args);
    if (message !== undefined) await context.publish(message.topic, message.key, message.event);
    return result;
  };
}

function stepLimit(ctx: NodeContext, stepTimeoutMs: number | undefined): TimeoutPolicy {
  return new TimeoutPolicy(ctx, { timeoutMs: stepTimeoutMs ?? 1000 });
}

function ignore(): void {}
