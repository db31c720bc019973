// Tests for services/shop/order-saga.ts: the saga's step calls and its log writes settle on the
// microtask their async-function forms did (a run's event order, and so its trace hash, depends on
// it), and pass on what the services answer.
import { describe, expect, it } from 'vitest';
import { RpcError } from '../../sim/engine/errors.ts';
import type { ProcedureRunner } from '../data/db-node.ts';
import { SagaStepDeclined, type SagaRecord } from '../sagas/orchestrator.ts';
import type { OrderDetails, StepAnswer } from './model.ts';
import { orderSaga, shopSagaLog, type StepCall } from './order-saga.ts';

/** `<microtask> ok` or `<microtask> failed <name>: <message>`: when and how `start()`'s promise settled. */
async function settled(start: () => Promise<unknown>): Promise<string> {
  let tick = 0;
  let seen = '';
  start().then(
    () => (seen = `${tick} ok`),
    (error: unknown) => (seen = `${tick} failed ${(error as Error).name}: ${(error as Error).message}`),
  );
  for (let step = 0; step < 40 && seen === ''; step++) {
    await undefined;
    tick++;
  }
  return seen;
}

/** An answer after two microtasks, or a failure after one. */
async function later<T>(outcome: T | RpcError): Promise<T> {
  await undefined;
  if (outcome instanceof RpcError) throw outcome;
  await undefined;
  return outcome;
}

const order = { orderId: 'o-1', userId: 'u-1', amount: 1200, items: [], address: 'north' } as unknown as OrderDetails;
const record: SagaRecord<OrderDetails> = { id: 'o-1', saga: 'order', owner: 'orders', data: order, state: 'running', done: 0, compensateFrom: -1, version: 2, startedAtMs: 0 };
const context = { sagaId: 'o-1', step: 'payment', attempt: 1, deadlineMs: 500 };

describe('the order saga', () => {
  it('a step settles as `await call(); check` in an async function would, declining a refusal', async () => {
    const answers: (StepAnswer<string> | RpcError)[] = [
      { status: 'CHARGED' } as StepAnswer<string>,
      { status: 'DECLINED', reason: 'no funds' } as StepAnswer<string>,
      new RpcError('timeout', 'no answer'),
    ];
    for (const answer of answers) {
      const call: StepCall = () => later(answer as StepAnswer<string>);
      const payment = orderSaga(call).steps[0]!;
      const reference = async (): Promise<void> => {
        const result = await call('payments', 'charge', {}, 500);
        if (result.status !== 'CHARGED') throw new SagaStepDeclined(result.reason ?? result.status);
      };
      expect(await settled(() => payment.action(order, context))).toBe(await settled(reference));
    }
    const declined = orderSaga(() => later({ status: 'DECLINED', reason: 'no funds' } as StepAnswer<string>)).steps[0]!;
    await expect(declined.action(order, context)).rejects.toBeInstanceOf(SagaStepDeclined);
  });

  it('a log save settles as `await runner.run()` in an async function would, and writes the record without its details', async () => {
    for (const outcome of ['saved', new RpcError('unavailable', 'orders db down')]) {
      const writes: unknown[] = [];
      const runner: ProcedureRunner = {
        run: <R>(name: string, args?: unknown) => {
          writes.push({ name, args });
          return later(outcome) as Promise<R>;
        },
      };
      const reference = async (): Promise<void> => {
        await runner.run('orders.saga-save', {});
      };
      expect(await settled(() => shopSagaLog(runner).save(record))).toBe(await settled(reference));
      const { data: _data, ...row } = record;
      expect(writes[0]).toEqual({ name: 'orders.saga-save', args: { record: row } });
      expect(Object.keys((writes[0] as { args: { record: object } }).args.record)).toEqual(Object.keys(row));
    }
  });
});
