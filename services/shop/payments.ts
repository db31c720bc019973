// Payments: wallets and one payment per order. Charge and refund are idempotent by order id; a
// refund that arrives before its charge leaves a tombstone, so the late charge is refused.
// Trace events (after commit): payment.charged, payment.declined, payment.refunded, payment.voided.
import { putOwned, type Transaction } from '../data/database.ts';
import type { Procedure, ProcedureContext, Procedures } from '../data/db-node.ts';
import { TABLES, type AccountRow, type PaymentRow, type PaymentStatus, type StepAnswer } from './model.ts';
import type { ShopObserver } from './observer.ts';

/** Charge `amount` cents from `userId`'s wallet for `orderId`. */
export interface ChargeArgs {
  orderId: string;
  userId: string;
  amount: number;
}

/** Refund whatever `orderId` was charged (or make sure it never will be). */
export interface RefundArgs {
  orderId: string;
  userId: string;
}

/** Payments behaviour knobs. */
export interface PaymentsOptions {
  /**
   * Fraction of charges the card processor declines, decided by a hash of the order id (so the
   * same orders are declined in every variant). Default 0.
   */
  declineRate?: number;
}

/** The payments module's procedures: `payments.charge`, `payments.refund`. */
export function paymentsProcedures(observer: ShopObserver, options: PaymentsOptions = {}): Procedures {
  const declineRate = options.declineRate ?? 0;

  const charge: Procedure<ChargeArgs, StepAnswer<'CHARGED' | 'DECLINED'>> = async (tx, args, context) => {
    const existing = await tx.getFrozen<PaymentRow>(TABLES.payments, args.orderId);
    if (existing !== undefined) {
      const charged = existing.status === 'CHARGED';
      if (charged) context.afterCommit(() => observer.duplicateCharge(args.orderId));
      return { status: charged ? 'CHARGED' : 'DECLINED', duplicate: true, changed: false, reason: existing.reason ?? describeRefused(existing.status) };
    }
    if (declineRate > 0 && unitHash(args.orderId) < declineRate) return decline(tx, args, context, 'card declined');
    const account = await tx.getFrozen<AccountRow>(TABLES.accounts, args.userId);
    if (account === undefined) return decline(tx, args, context, 'no wallet');
    if (account.balance < args.amount) return decline(tx, args, context, 'insufficient funds');
    putOwned(tx, TABLES.accounts, args.userId, { balance: account.balance - args.amount } satisfies AccountRow);
    putOwned(tx, TABLES.payments, args.orderId, { userId: args.userId, amount: args.amount, status: 'CHARGED', charges: 1 } satisfies PaymentRow);
    context.emit('payment.charged', `${args.orderId} ${args.amount}`);
    return { status: 'CHARGED', duplicate: false, changed: true };
  };

  const refund: Procedure<RefundArgs, StepAnswer<PaymentStatus>> = async (tx, args, context) => {
    const existing = await tx.getFrozen<PaymentRow>(TABLES.payments, args.orderId);
    if (existing === undefined) {
      putOwned(tx, TABLES.payments, args.orderId, { userId: args.userId, amount: 0, status: 'VOIDED', charges: 0 } satisfies PaymentRow);
      context.emit('payment.voided', args.orderId);
      return { status: 'VOIDED', duplicate: false, changed: true };
    }
    if (existing.status !== 'CHARGED') return { status: existing.status, duplicate: true, changed: false };
    const account = await tx.getFrozen<AccountRow>(TABLES.accounts, existing.userId);
    putOwned(tx, TABLES.accounts, existing.userId, { balance: (account?.balance ?? 0) + existing.amount } satisfies AccountRow);
    putOwned(tx, TABLES.payments, args.orderId, { ...existing, status: 'REFUNDED' } satisfies PaymentRow);
    context.afterCommit(() => observer.compensation('refund'));
    context.emit('payment.refunded', `${args.orderId} ${existing.amount}`);
    return { status: 'REFUNDED', duplicate: false, changed: true };
  };

  return { 'payments.charge': charge, 'payments.refund': refund };
}

/** Records a declined charge (a module function, not a closure per charge: charges are a hot path). */
function decline(tx: Transaction, args: ChargeArgs, context: ProcedureContext, reason: string): StepAnswer<'DECLINED'> {
  putOwned(tx, TABLES.payments, args.orderId, { userId: args.userId, amount: args.amount, status: 'DECLINED', charges: 0, reason } satisfies PaymentRow);
  context.emit('payment.declined', `${args.orderId} ${reason}`);
  return { status: 'DECLINED', duplicate: false, changed: true, reason };
}

function describeRefused(status: PaymentStatus): string | undefined {
  return status === 'VOIDED' ? 'cancelled before the charge' : status === 'REFUNDED' ? 'already refunded' : undefined;
}

/** A number in [0, 1) from a string: 32-bit FNV-1a, so a decision keyed by it is the same in every run. */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0) / 0x1_0000_0000;
}
