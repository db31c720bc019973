// The shop's reference data for one run: users with wallets, products with prices and stock,
// drawn from a seeded stream so every variant of a scenario starts from the same shop.
import type { Rng } from '../../sim/engine/rng.ts';
import { ConfigError } from '../../sim/engine/errors.ts';
import type { Transaction } from '../data/database.ts';
import { TABLES, type AccountRow, type Address, type ProductRow, type StockRow, type UserRow } from './model.ts';

/** How big the shop is. */
export interface CatalogueOptions {
  /** Users (ids `u0…`). Default 200. */
  users?: number;
  /** Products (ids `p0…`). Default 40. */
  products?: number;
  /** Opening wallet balance per user, cents, drawn uniformly. Default 50 000 – 300 000. */
  balanceCents?: { min: number; max: number };
  /** Price per product, cents, drawn uniformly. Default 500 – 5 000. */
  priceCents?: { min: number; max: number };
  /** Opening stock per product, drawn uniformly. Default 60 – 300. */
  stock?: { min: number; max: number };
}

/** The reference data of one shop. Plain data: every deployment loads it into its databases. */
export interface ShopCatalogue {
  users: { userId: string; user: UserRow; token: string; balance: number }[];
  products: { productId: string; product: ProductRow; stock: number }[];
  /** Prices by product id, for computing order totals. */
  prices: ReadonlyMap<string, number>;
  /** Σ opening balances: what the wallets plus the charged payments always add up to. */
  totalMoney: number;
  /** Opening stock by product id. */
  initialStock: ReadonlyMap<string, number>;
}

const REGIONS = ['north', 'south', 'east', 'west'];

/** Draws a catalogue from `rng` (pass a named fork, e.g. `env.rng.fork('catalogue')`). */
export function makeCatalogue(rng: Rng, options: CatalogueOptions = {}): ShopCatalogue {
  const userCount = options.users ?? 200;
  const productCount = options.products ?? 40;
  const balance = options.balanceCents ?? { min: 50_000, max: 300_000 };
  const price = options.priceCents ?? { min: 500, max: 5_000 };
  const stock = options.stock ?? { min: 60, max: 300 };
  for (const [name, value] of [['users', userCount], ['products', productCount]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(`shop catalogue: ${name} is ${value}; use a whole number >= 1`);
  }
  for (const [name, range] of [['balanceCents', balance], ['priceCents', price], ['stock', stock]] as const) {
    if (!(Number.isInteger(range.min) && Number.isInteger(range.max) && range.min >= 0 && range.min <= range.max)) {
      throw new ConfigError(`shop catalogue: ${name} is ${range.min}..${range.max}; use whole numbers with 0 <= min <= max`);
    }
  }
  const users: ShopCatalogue['users'] = [];
  let totalMoney = 0;
  for (let index = 0; index < userCount; index++) {
    const userId = `u${index}`;
    const address: Address = { region: REGIONS[index % REGIONS.length]! };
    const opening = rng.int(balance.min, balance.max + 1);
    totalMoney += opening;
    users.push({ userId, user: { name: `user ${index}`, address }, token: tokenOf(userId), balance: opening });
  }
  const products: ShopCatalogue['products'] = [];
  const prices = new Map<string, number>();
  const initialStock = new Map<string, number>();
  for (let index = 0; index < productCount; index++) {
    const productId = `p${index}`;
    const product: ProductRow = { name: `product ${index}`, price: rng.int(price.min, price.max + 1) };
    const units = rng.int(stock.min, stock.max + 1);
    products.push({ productId, product, stock: units });
    prices.set(productId, product.price);
    initialStock.set(productId, units);
  }
  return { users, products, prices, totalMoney, initialStock };
}

/** The bearer token of a user (the gateway's token table maps it back). */
export function tokenOf(userId: string): string {
  return `tok-${userId}`;
}

/** The gateway's token table: token → user id. */
export function tokenTable(catalogue: ShopCatalogue): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const entry of catalogue.users) tokens[entry.token] = entry.userId;
  return tokens;
}

/** Loaders of each service's share of the reference data, run once in its database's first transaction. */
export const loaders = {
  users: (catalogue: ShopCatalogue) => (tx: Transaction) => {
    for (const entry of catalogue.users) tx.put(TABLES.users, entry.userId, entry.user);
  },
  products: (catalogue: ShopCatalogue) => (tx: Transaction) => {
    for (const entry of catalogue.products) tx.put(TABLES.products, entry.productId, entry.product);
  },
  payments: (catalogue: ShopCatalogue) => (tx: Transaction) => {
    for (const entry of catalogue.users) tx.put(TABLES.accounts, entry.userId, { balance: entry.balance } satisfies AccountRow);
  },
  inventory: (catalogue: ShopCatalogue) => (tx: Transaction) => {
    for (const entry of catalogue.products) tx.put(TABLES.stock, entry.productId, { available: entry.stock } satisfies StockRow);
  },
};
