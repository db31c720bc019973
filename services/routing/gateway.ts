// The API gateway node, the single entry point: routes by path prefix, authenticates, rate-limits
// per client, caches GET responses, transforms requests and responses, logs every request into the
// trace, and forwards through discovery, a balancer and the route's policies.
import type { NodeContext } from '../../sim/world/context.ts';
import type { NodeFactory, Request } from '../../sim/world/node.ts';
import { ConfigError, RpcError, isRpcError, registerErrorCode } from '../../sim/engine/errors.ts';
import type { Policy } from '../resilience/policy.ts';
import type { Balancer, BalancerKind } from './balancer.ts';
import { DiscoveryClient, type RouteObserver } from './discovery-client.ts';
import { ServiceClient } from './client.ts';
import { RateLimiter, validateRateLimiter, type RateLimiterOptions } from './ratelimit.ts';
import { TtlCache } from './cache.ts';

// The gateway refuses by policy: a client over its rate limit, a request without a valid token.
declare module '../../sim/engine/errors.ts' {
  interface RpcErrorCodes { 'rate-limited': true; 'unauthorized': true; }
}
registerErrorCode('rate-limited', 'unauthorized');

/** The RPC method workloads call on the gateway node. */
export const GATEWAY_METHOD = 'request';

/** HTTP verbs the gateway understands; only GET responses are cached. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as it reaches the gateway (the payload of `world.request(gateway, 'request', …)`). */
export interface GatewayRequest {
  /** `/api/orders/123`. */
  path: string;
  method: HttpMethod;
  headers?: {
    /** `Bearer <token>` or the bare token. */
    authorization?: string;
    /** Rate-limit key (an IP, an API key id) for unauthenticated routes; an authenticated principal takes precedence. */
    clientId?: string;
  };
  body?: unknown;
}

/** What a service receives by default: the request without its credentials, path relative to the route. */
export interface ForwardedRequest {
  method: HttpMethod;
  /** The path after the route's prefix: `/123`, or `/` for the prefix itself. */
  path: string;
  body: unknown;
  /** Who the token belongs to, when the route is authenticated. */
  principal: string | undefined;
  /** The key the request was rate-limited under. */
  clientId: string;
}

/** The RPC a route sends: method and payload. */
export interface ForwardTarget {
  method: string;
  payload: unknown;
}

/** One route. */
export interface RouteSpec {
  /** Path prefix, matched on segment boundaries (`/api/orders` matches `/api/orders/1`, not `/api/ordersx`). */
  prefix: string;
  /** The service discovery resolves for this route. */
  service: string;
  /** RPC method called on the service with a `ForwardedRequest`. Default `http`. */
  rpcMethod?: string;
  /** No authentication on this route (health pages, public catalogue). */
  public?: boolean;
  /** Timeout of each RPC attempt to the service. Default: the gateway node's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** Builds this route's policy once per gateway start (policies hold state: breaker counts…). */
  policy?: (ctx: NodeContext) => Policy;
  /** Balancer kind, or a factory. Default `round-robin`. */
  balancer?: BalancerKind | ((ctx: NodeContext) => Balancer);
  /**
   * Cache successful GET responses this long (gateway clock); 0 or absent disables caching. Keyed
   * by path, and by principal too on authenticated routes.
   */
  cacheTtlMs?: number;
  /** Request transformation: decides the RPC method and payload sent to the service. */
  transformRequest?: (request: GatewayRequest, forwarded: ForwardedRequest) => ForwardTarget;
  /** Response transformation, applied before caching. */
  transformResponse?: (value: unknown, request: GatewayRequest) => unknown;
}

/** Authentication: a fixed token table, or a validator returning the principal (undefined = invalid). */
export type GatewayAuth = { tokens: Readonly<Record<string, string>> } | { validate: (token: string) => string | undefined };

/** Gateway settings. */
export interface GatewayOptions {
  routes: readonly RouteSpec[];
  /** Registry node(s) the gateway's discovery client looks up. */
  registry: string | readonly string[];
  /** Discovery refresh period. Default 1000 ms. */
  refreshMs?: number;
  /** Authentication for every non-public route; absent = no authentication. */
  auth?: GatewayAuth;
  /** Token bucket per client; absent = no rate limiting. */
  rateLimit?: RateLimiterOptions;
  /** Cached responses kept at most. Default 1000. */
  cacheMaxEntries?: number;
  /** Gateway CPU per request (parsing, TLS…), scaled by the node's slow factor. Default 0. */
  processingMs?: number;
  /** Runs first on every request (add headers, rewrite paths). */
  transformRequest?: (request: GatewayRequest) => GatewayRequest;
  /** Runs last on every successful response (after the route's own). */
  transformResponse?: (value: unknown, request: GatewayRequest) => unknown;
  /** Told of every routed call (staleness measurement). */
  observer?: RouteObserver;
}

/** Routes compiled at configuration time, longest prefix first. */
interface CompiledRoute {
  spec: RouteSpec;
  /** Prefix without a trailing slash (`` for the root route). */
  prefix: string;
  rpcMethod: string;
  requiresAuth: boolean;
  cacheTtlMs: number;
}

/**
 * A gateway node factory: `world.addNode('gateway', gateway({ registry: 'registry', routes: […] }))`.
 * Errors reach the client as RpcErrors: `not-found` (no route), `unauthorized` (missing or bad
 * token; the service is never called), `rate-limited`, `bad-request`, and the service's own.
 * Trace events: `gateway.request` for every request (detail `GET /path -> ok|cached|<code>`, peer
 * the route's service), `gateway.cache-store` and `gateway.cache-evict`.
 */
export function gateway(options: GatewayOptions): NodeFactory {
  const routes = compileRoutes(options);
  const validateToken = compileAuth(options.auth);
  if (options.rateLimit) validateRateLimiter(options.rateLimit);
  const cacheMaxEntries = options.cacheMaxEntries ?? 1000;
  if (!Number.isInteger(cacheMaxEntries) || cacheMaxEntries < 1) {
    throw new ConfigError(`gateway cacheMaxEntries is ${cacheMaxEntries}: use a whole number >= 1`);
  }
  const processingMs = options.processingMs ?? 0;
  if (!(processingMs >= 0)) throw new ConfigError(`gateway processingMs is ${processingMs}: use ms >= 0`);

  return (ctx) => {
    const discovery = new DiscoveryClient(ctx, { registry: options.registry, refreshMs: options.refreshMs, observer: options.observer });
    const clients = new Map<CompiledRoute, ServiceClient>();
    for (const route of routes) {
      const { balancer, policy } = route.spec;
      clients.set(
        route,
        new ServiceClient(ctx, {
          service: route.spec.service,
          discovery,
          balancer: typeof balancer === 'function' ? balancer(ctx) : balancer,
          policy: policy?.(ctx),
          timeoutMs: route.spec.timeoutMs,
        }),
      );
    }
    const limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
    const cache = new TtlCache<unknown>(cacheMaxEntries);

    const handle = (payload: unknown, request: Request): unknown => {
      const parsed = parseRequest(payload);
      if (parsed === undefined) {
        ctx.emit('gateway.request', 'malformed -> bad-request');
        throw new RpcError('bad-request', 'a gateway request needs { path: "/…", method: "GET" | "POST" | … }', ctx.name);
      }
      const incoming = options.transformRequest ? options.transformRequest(parsed) : parsed;
      const route = matchRoute(routes, incoming.path);
      if (route === undefined) return reject(incoming, undefined, new RpcError('not-found', `no route for ${incoming.path}`, ctx.name));
      const headers = incoming.headers;
      let principal: string | undefined;
      if (route.requiresAuth && validateToken !== undefined) {
        principal = authenticate(validateToken, headers?.authorization);
        if (principal === undefined) return reject(incoming, route, new RpcError('unauthorized', 'missing or invalid token', ctx.name));
      }
      // An authenticated caller is limited as itself: a made-up client id cannot dodge its bucket.
      const clientId = principal ?? headers?.clientId ?? 'anonymous';
      if (limiter !== undefined && !limiter.tryTake(clientId, ctx.now())) {
        return reject(incoming, route, new RpcError('rate-limited', `client ${clientId} is over its rate limit`, ctx.name));
      }
      const cacheable = route.cacheTtlMs > 0 && incoming.method === 'GET';
      // One user's answer must never be served to another: authenticated routes cache per principal.
      const cacheKey = cacheable ? (principal === undefined ? incoming.path : `${principal} ${incoming.path}`) : '';
      if (cacheable) {
        const cached = cache.get(cacheKey, ctx.now());
        if (cached !== undefined) {
          log(incoming, route, 'cached');
          return cached;
        }
      }
      const forwarded: ForwardedRequest = {
        method: incoming.method,
        path: relativePath(route, incoming.path),
        body: incoming.body,
        principal,
        clientId,
      };
      const target = route.spec.transformRequest
        ? route.spec.transformRequest(incoming, forwarded)
        : { method: route.rpcMethod, payload: forwarded };
      return clients
        .get(route)!
        .call(target.method, target.payload, { parent: request, key: clientId })
        .then(
          (value) => {
            let response = route.spec.transformResponse ? route.spec.transformResponse(value, incoming) : value;
            if (options.transformResponse) response = options.transformResponse(response, incoming);
            if (cacheable && response !== undefined) store(cacheKey, response, route);
            log(incoming, route, 'ok');
            return response;
          },
          (error: unknown) => {
            log(incoming, route, isRpcError(error) ? error.code : 'application');
            throw error;
          },
        );
    };

    const reject = (incoming: GatewayRequest, route: CompiledRoute | undefined, error: RpcError): never => {
      log(incoming, route, error.code);
      throw error;
    };

    const log = (incoming: GatewayRequest, route: CompiledRoute | undefined, outcome: string): void => {
      ctx.emit('gateway.request', `${incoming.method} ${incoming.path} -> ${outcome}`, route?.spec.service);
    };

    const store = (key: string, value: unknown, route: CompiledRoute): void => {
      const evicted = cache.set(key, value, ctx.now(), route.cacheTtlMs);
      ctx.emit('gateway.cache-store', key, route.spec.service);
      if (evicted !== undefined) ctx.emit('gateway.cache-evict', evicted);
    };

    return {
      handlers: {
        [GATEWAY_METHOD]: processingMs > 0 ? { serviceTimeMs: processingMs, handle } : handle,
      },
      onStart() {
        // Warm the discovery cache so the first requests do not wait for a lookup.
        for (const route of routes) discovery.resolve(route.spec.service);
      },
    };
  };
}

function compileRoutes(options: GatewayOptions): CompiledRoute[] {
  if (options.routes.length === 0) throw new ConfigError('gateway has no routes: pass routes: [{ prefix: "/api/orders", service: "orders" }]');
  const seen = new Set<string>();
  const compiled: CompiledRoute[] = [];
  for (const spec of options.routes) {
    if (!spec.prefix.startsWith('/')) throw new ConfigError(`gateway route prefix '${spec.prefix}' must start with '/'`);
    const prefix = spec.prefix.replace(/\/+$/, '');
    if (seen.has(prefix)) throw new ConfigError(`gateway route prefix '${spec.prefix}' appears twice: give each route its own prefix`);
    seen.add(prefix);
    if (!spec.service) throw new ConfigError(`gateway route '${spec.prefix}' has no service: name the service discovery knows`);
    const cacheTtlMs = spec.cacheTtlMs ?? 0;
    if (!(cacheTtlMs >= 0)) throw new ConfigError(`gateway route '${spec.prefix}' cacheTtlMs is ${cacheTtlMs}: use ms >= 0`);
    if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0)) {
      throw new ConfigError(`gateway route '${spec.prefix}' timeoutMs is ${spec.timeoutMs}: use a number of ms > 0`);
    }
    compiled.push({ spec, prefix, rpcMethod: spec.rpcMethod ?? 'http', requiresAuth: spec.public !== true, cacheTtlMs });
  }
  // Longest prefix wins; the sort is stable, and prefixes are unique, so the order is total.
  return compiled.sort((a, b) => b.prefix.length - a.prefix.length);
}

function compileAuth(auth: GatewayAuth | undefined): ((token: string) => string | undefined) | undefined {
  if (auth === undefined) return undefined;
  if ('validate' in auth) return auth.validate;
  const tokens = new Map(Object.entries(auth.tokens));
  return (token) => tokens.get(token);
}

function authenticate(validate: (token: string) => string | undefined, header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const token = header.startsWith('Bearer ') ? header.slice(7) : header;
  return validate(token);
}

/** The longest-prefix route for `path`, matching whole segments only. */
export function matchRoute<R extends { prefix: string }>(routes: readonly R[], path: string): R | undefined {
  for (const route of routes) {
    const prefix = route.prefix;
    if (!path.startsWith(prefix)) continue;
    if (path.length === prefix.length) return route;
    const next = path.charCodeAt(prefix.length);
    // '/' or '?' ends a segment; the root route (empty prefix) matches every absolute path.
    if (next === 47 || next === 63) return route;
  }
  return undefined;
}

function relativePath(route: CompiledRoute, path: string): string {
  const rest = path.slice(route.prefix.length);
  return rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
}

/** The payload as a gateway request, or undefined if it is not one. */
function parseRequest(payload: unknown): GatewayRequest | undefined {
  const value = payload as Partial<GatewayRequest> | null;
  if (!value || typeof value.path !== 'string' || !value.path.startsWith('/') || typeof value.method !== 'string') return undefined;
  return value as GatewayRequest;
}
