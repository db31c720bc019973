// The choreographed order saga: order.created → payment → inventory → shipping → confirmed, each
// participant's state change and event committed together (outbox), compensations unwinding the
// chain newest first (shipping.failed → inventory.released → payment.refunded → cancelled).
import type { NodeContext } from '../../sim/world/context.ts';
import type { BusClient } from '../messaging/bus-client.ts';
import type { Procedure, ProcedureRunner, Procedures } from '../data/db-node.ts';
import { defineChoreography, initiateChoreography, joinChoreography, publishingProcedure, type Choreography } from '../sagas/choreography.ts';
import type { OrderDetails, StepAnswer } from './model.ts';
import type { FinishArgs } from './orders.ts';

/** The order choreography's topics. */
export const ORDER_CHOREOGRAPHY: Choreography = Object.freeze(
  defineChoreography({
    name: 'order',
    started: 'order.created',
    aborted: 'order.expired',
    steps: [
      { name: 'payment', succeeded: 'payment.succeeded', failed: 'payment.failed', compensated: 'payment.refunded' },
      { name: 'inventory', succeeded: 'inventory.reserved', failed: 'inventory.failed', compensated: 'inventory.released' },
      { name: 'shipping', succeeded: 'shipping.scheduled', failed: 'shipping.failed', compensated: 'shipping.cancelled' },
    ],
  }),
);

/** Every event of the choreography carries the order, and the first failure's reason once there is one. */
export interface OrderEvent extends OrderDetails {
  reason?: string;
}

/** The step services of the choreography and their procedure names. */
const STEP_PROCEDURES = {
  payment: { act: 'payments.charge', undo: 'payments.refund', ok: 'CHARGED' },
  inventory: { act: 'inventory.reserve', undo: 'inventory.release', ok: 'RESERVED' },
  shipping: { act: 'shipping.schedule', undo: 'shipping.cancel', ok: 'SCHEDULED' },
} as const;

/** The participant step each service runs. */
export type ChoreographedStep = keyof typeof STEP_PROCEDURES;

/**
 * Adds `<act>-evented` and `<undo>-evented` procedures to a module's procedures: the step, then
 * its outcome event in the same transaction. A duplicate publishes nothing (its event went out
 * with the first commit); an undo publishes `compensated` only when it changed something.
 */
export function eventedProcedures(step: ChoreographedStep, procedures: Procedures): Procedures {
  const names = STEP_PROCEDURES[step];
  const topics = ORDER_CHOREOGRAPHY.steps.find((candidate) => candidate.name === step)!;
  const act = procedures[names.act] as Procedure<unknown, StepAnswer<string>>;
  const undo = procedures[names.undo] as Procedure<unknown, StepAnswer<string>>;
  const argsOf = (event: OrderEvent): unknown =>
    step === 'payment'
      ? { orderId: event.orderId, userId: event.userId, amount: event.amount }
      : step === 'inventory'
        ? { orderId: event.orderId, items: event.items }
        : { orderId: event.orderId, address: event.address };
  const evented = (inner: Procedure<unknown, StepAnswer<string>>, topicOf: (answer: StepAnswer<string>) => string | undefined): Procedure<{ event: OrderEvent }, StepAnswer<string>> =>
    publishingProcedure<{ event: OrderEvent }, StepAnswer<string>>(
      (tx, args, context) => inner(tx, argsOf(args.event), context),
      (answer, args) => {
        const topic = topicOf(answer);
        if (topic === undefined) return undefined;
        const event: OrderEvent = { ...args.event };
        if (answer.reason !== undefined && event.reason === undefined) event.reason = answer.reason;
        return { topic, key: args.event.orderId, event };
      },
    );
  return {
    ...procedures,
    [`${names.act}-evented`]: evented(act, (answer) => (answer.duplicate ? undefined : answer.status === names.ok ? topics.succeeded : topics.failed)),
    [`${names.undo}-evented`]: evented(undo, (answer) => (answer.changed ? topics.compensated : undefined)),
  };
}

/** Joins a participant service's instance to the choreography (call in `onStart`). */
export function joinOrderChoreography(ctx: NodeContext, bus: BusClient, runner: ProcedureRunner, step: ChoreographedStep, stepTimeoutMs: number): void {
  const names = STEP_PROCEDURES[step];
  joinChoreography<OrderEvent>(
    ctx,
    bus,
    ORDER_CHOREOGRAPHY,
    step,
    {
      act: (event) => runner.run(`${names.act}-evented`, { event }, { timeoutMs: stepTimeoutMs }),
      compensate: (event) => runner.run(`${names.undo}-evented`, { event }, { timeoutMs: stepTimeoutMs }),
    },
    { group: serviceOfStep(step), stepTimeoutMs },
  );
}

/** Subscribes the orders service as the choreography's initiator (call in `onStart`). */
export function initiateOrderChoreography(ctx: NodeContext, bus: BusClient, runner: ProcedureRunner, stepTimeoutMs: number): void {
  const finish = (event: OrderEvent, status: FinishArgs['status']) => {
    const args: FinishArgs = { orderId: event.orderId, status };
    if (status === 'CANCELLED') args.reason = event.reason ?? 'cancelled';
    return runner.run('orders.finish', args, { timeoutMs: stepTimeoutMs });
  };
  initiateChoreography<OrderEvent>(
    ctx,
    bus,
    ORDER_CHOREOGRAPHY,
    { complete: (event) => finish(event, 'CONFIRMED'), cancel: (event) => finish(event, 'CANCELLED') },
    { group: 'orders', stepTimeoutMs },
  );
}

/** The service that runs a step. */
export function serviceOfStep(step: ChoreographedStep): 'payments' | 'inventory' | 'shipping' {
  return step === 'payment' ? 'payments' : step;
}
