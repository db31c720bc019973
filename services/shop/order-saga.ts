// The orchestrated order saga: charge the payment, reserve the stock, schedule the shipment —
// each undone newest first on failure — with its log in the orders database.
import { RpcError } from '../../sim/engine/errors.ts';
import type { ProcedureRunner } from '../data/db-node.ts';
import { SagaStepDeclined, type SagaDefinition, type SagaLog, type SagaOutcome, type SagaRecord } from '../sagas/orchestrator.ts';
import type { OrderDetails, OrderReceipt, StepAnswer } from './model.ts';
import { ORDER_SAGA } from './orders.ts';

/** The services the saga's steps call. */
export type StepService = 'payments' | 'inventory' | 'shipping';

/** Calls `method` on a step's service with `args`, answering by `deadlineMs` (true virtual time). */
export type StepCall = (service: StepService, method: string, args: unknown, deadlineMs: number) => Promise<StepAnswer<string>>;

/**
 * The order saga's definition: `payment` (charge / refund), `inventory` (reserve / release),
 * `shipping` (schedule / cancel). A refusal by the service is a decline: no compensation of
 * that step, the earlier ones are undone.
 */
export function orderSaga(call: StepCall): SagaDefinition<OrderDetails> {
  // As an async function awaiting the answer would, one microtask after it; a failed call passes
  // through without a JavaScript rethrow (costly in V8, and an outage fails calls by the thousand).
  const expect = (answer: Promise<StepAnswer<string>>, ok: string): Promise<void> =>
    Promise.resolve(answer).then((result) => {
      if (result.status !== ok) throw new SagaStepDeclined(result.reason ?? result.status);
    });
  return {
    name: ORDER_SAGA,
    steps: [
      {
        name: 'payment',
        action: (order, step) => expect(call('payments', 'charge', { orderId: order.orderId, userId: order.userId, amount: order.amount }, step.deadlineMs), 'CHARGED'),
        compensation: (order, step) => call('payments', 'refund', { orderId: order.orderId, userId: order.userId }, step.deadlineMs),
      },
      {
        name: 'inventory',
        action: (order, step) => expect(call('inventory', 'reserve', { orderId: order.orderId, items: order.items }, step.deadlineMs), 'RESERVED'),
        compensation: (order, step) => call('inventory', 'release', { orderId: order.orderId }, step.deadlineMs),
      },
      {
        name: 'shipping',
        action: (order, step) => expect(call('shipping', 'schedule', { orderId: order.orderId, address: order.address }, step.deadlineMs), 'SCHEDULED'),
        compensation: (order, step) => call('shipping', 'cancel', { orderId: order.orderId }, step.deadlineMs),
      },
    ],
  };
}

/** The saga log as procedures of the orders database (the record and the order change together). */
export function shopSagaLog(runner: ProcedureRunner, timeoutMs = 500): SagaLog<OrderDetails> {
  return {
    create: (record) => runner.run<SagaRecord<OrderDetails>>('orders.saga-create', { record }, { timeoutMs }),
    // As an async function awaiting the write would settle (a microtask after it), but a failed
    // write passes through without a rethrow.
    save: (record) => {
      try {
        // The order row holds the details: the log write carries the record without them.
        const { data: _data, ...row } = record;
        return Promise.resolve(runner.run('orders.saga-save', { record: row }, { timeoutMs })).then(ignore);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    // The sagas this orchestrator drives already are left out of the scan (ids as plain data, for a remote log).
    unfinished: (owner, skip) =>
      runner.run<SagaRecord<OrderDetails>[]>('orders.saga-unfinished', skip !== undefined && skip.size > 0 ? { owner, skip: [...skip] } : { owner }, { timeoutMs }),
  };
}

/**
 * What the client hears about an order whose saga answered: CONFIRMED; CANCELLED with the reason
 * when a service declined; PENDING when the saga is parked or driven elsewhere; and an
 * `unavailable` error when a technical failure cancelled it.
 */
export function receiptFromOutcome(outcome: SagaOutcome): OrderReceipt {
  if (outcome.state === 'completed') return { orderId: outcome.id, status: 'CONFIRMED' };
  if (outcome.state === 'running' || outcome.state === 'compensating') return { orderId: outcome.id, status: 'PENDING' };
  if (outcome.declined) return { orderId: outcome.id, status: 'CANCELLED', reason: outcome.failure ?? 'declined' };
  throw new RpcError('unavailable', `order ${outcome.id} cancelled: ${outcome.failure ?? 'a step failed'}`);
}

function ignore(): void {}
