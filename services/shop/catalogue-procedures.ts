// Read procedures of the catalogue services: products (list, one) and users (one profile).
import { RpcError } from '../../sim/engine/errors.ts';
import type { Procedure, Procedures } from '../data/db-node.ts';
import { TABLES, type ProductRow, type UserRow } from './model.ts';

/** A product as the API shows it. */
export interface ProductView extends ProductRow {
  productId: string;
}

/** The products module's procedures: `products.list`, `products.get`. */
export function productsProcedures(): Procedures {
  const list: Procedure<{ limit?: number }, ProductView[]> = async (tx, args) => {
    const rows = await tx.scan<ProductRow>(TABLES.products, { limit: Math.min(50, Math.max(1, args?.limit ?? 10)) });
    return rows.map((row) => ({ productId: row.key, ...row.value }));
  };
  const get: Procedure<{ productId: string }, ProductView> = async (tx, args) => {
    const product = await tx.get<ProductRow>(TABLES.products, args.productId);
    if (product === undefined) throw new RpcError('not-found', `no product ${args.productId}`);
    return { productId: args.productId, ...product };
  };
  return { 'products.list': list, 'products.get': get };
}

/** The users module's procedures: `users.get`. */
export function usersProcedures(): Procedures {
  const get: Procedure<{ userId: string }, UserRow & { userId: string }> = async (tx, args) => {
    const user = await tx.get<UserRow>(TABLES.users, args.userId);
    if (user === undefined) throw new RpcError('not-found', `no user ${args.userId}`);
    return { userId: args.userId, ...user };
  };
  return { 'users.get': get };
}
