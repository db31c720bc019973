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
  /** Position in the gateway's routes (longest prefix first): where an instance keeps its client. */
  index: number;
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
    const instance = new GatewayInstance(ctx, options, routes, validateToken, cacheMaxEntries);
    const handle = (payload: unknown, request: Request): unknown => instance.handle(payload, request);
    return {
      handlers: {
        [GATEWAY_METHOD]: processingMs > 0 ? { serviceTimeMs: processingMs, handle } : handle,
      },
      onStart: () => instance.warmUp(),
    };
  };
}

/** Who a request is from, once admitted: the route it takes, its principal and its client id. */
interface Admitted {
  route: CompiledRoute;
  principal: string | undefined;
  clientId: string;
}

/** One gateway incarnation: its discovery view, a client per route, the rate limiter and the cache. */
class GatewayInstance {
  private readonly discovery: DiscoveryClient;
  /** Each route's client, by the route's index (no Map lookup per request). */
  private readonly clients: ServiceClient[] = [];
  private readonly limiter: RateLimiter | undefined;
  private readonly cache: TtlCache<unknown>;

  constructor(
    private readonly ctx: NodeContext,
    private readonly options: GatewayOptions,
    private readonly routes: CompiledRoute[],
    private readonly validateToken: ((token: string) => string | undefined) | undefined,
    cacheMaxEntries: number,
  ) {
    this.discovery = new DiscoveryClient(ctx, { registry: options.registry, refreshMs: options.refreshMs, observer: options.observer });
    for (const route of routes) {
      const { balancer, policy } = route.spec;
      this.clients[route.index] = new ServiceClient(ctx, {
        service: route.spec.service,
        discovery: this.discovery,
        balancer: typeof balancer === 'function' ? balancer(ctx) : balancer,
        policy: policy?.(ctx),
        timeoutMs: route.spec.timeoutMs,
      });
    }
    this.limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
    this.cache = new TtlCache<unknown>(cacheMaxEntries);
  }

  /** Warms the discovery cache so the first requests do not wait for a lookup. */
  warmUp(): void {
    for (const route of this.routes) this.discovery.resolve(route.spec.service);
  }

  /** Parses, routes, authenticates, rate-limits, answers from the cache or forwards one request. */
  handle(payload: unknown, request: Request): unknown {
    const parsed = parseRequest(payload);
    if (parsed === undefined) {
      this.ctx.emit('gateway.request', 'malformed -> bad-request');
      throw new RpcError('bad-request', 'a gateway request needs { path: "/…", method: "GET" | "POST" | … }', this.ctx.name);
    }
    const incoming = this.options.transformRequest ? this.options.transformRequest(parsed) : parsed;
    const admitted = this.admit(incoming);
    const { route, principal } = admitted;
    const cacheable = route.cacheTtlMs > 0 && incoming.method === 'GET';
    // One user's answer must never be served to another: authenticated routes cache per principal.
    const cacheKey = cacheable ? (principal === undefined ? incoming.path : `${principal} ${incoming.path}`) : '';
    if (cacheable) {
      const cached = this.cache.get(cacheKey, this.ctx.now());
      if (cached !== undefined) {
        this.log(incoming, route, 'cached');
        return cached;
      }
    }
    return this.forward(incoming, admitted, request, cacheable, cacheKey);
  }

  /** The route, principal and client id of a request; throws (and logs) when it has no route, no valid token or no tokens left. */
  private admit(incoming: GatewayRequest): Admitted {
    const route = this.routeOf(incoming.path);
    if (route === undefined) return this.reject(incoming, undefined, new RpcError('not-found', `no route for ${incoming.path}`, this.ctx.name));
    const headers = incoming.headers;
    let principal: string | undefined;
    if (route.requiresAuth && this.validateToken !== undefined) {
      principal = authenticate(this.validateToken, headers?.authorization);
      if (principal === undefined) return this.reject(incoming, route, new RpcError('unauthorized', 'missing or invalid token', this.ctx.name));
    }
    // An authenticated caller is limited as itself: a made-up client id cannot dodge its bucket.
    const clientId = principal ?? headers?.clientId ?? 'anonymous';
    if (this.limiter !== undefined && !this.limiter.tryTake(clientId, this.ctx.now())) {
      return this.reject(incoming, route, new RpcError('rate-limited', `client ${clientId} is over its rate limit`, this.ctx.name));
    }
    return { route, principal, clientId };
  }

  /**
   * Calls the route's service, transforms its answer, caches it (when `cacheable`) and logs it; a
   * failure is logged with its code and passed on. It settles as the async function
   * `const response = transform(await call(…)); store; log; return response` called and awaited
   * once more would: the answer is logged two reactions after the call's promise and settles one
   * later; when building the call throws, it is rejected one reaction later.
   */
  private forward(incoming: GatewayRequest, { route, principal, clientId }: Admitted, request: Request, cacheable: boolean, cacheKey: string): Promise<unknown> {
    let answer: Promise<unknown>;
    try {
      const forwarded: ForwardedRequest = { method: incoming.method, path: this.relativePathOf(route, incoming.path), body: incoming.body, principal, clientId };
      if (route.spec.transformRequest) {
        const target = route.spec.transformRequest(incoming, forwarded);
        answer = this.callRoute(incoming, route, target.method, target.payload, clientId, request);
      } else {
        answer = this.callRoute(incoming, route, route.rpcMethod, forwarded, clientId, request);
      }
    } catch (error) {
      return Promise.reject(error).then();
    }
    const onFailure = (error: unknown): never => {
      this.log(incoming, route, isRpcError(error) ? error.code : 'application');
      throw error;
    };
    const answered = (response: unknown): unknown => {
      if (cacheable && response !== undefined) this.store(cacheKey, response, route);
      this.log(incoming, route, 'ok');
      return response;
    };
    // Promise.resolve is what `await` applies first: a native promise is used as it is.
    if (route.spec.transformResponse === undefined && this.options.transformResponse === undefined) {
      // Without a response transformation the first reaction only keeps the answer aside: a promise
      // settled with it would make V8 look the answer's `then` up once more (a prototype walk).
      let kept: unknown;
      return Promise.resolve(answer)
        .then((value) => void (kept = value), onFailure)
        .then(() => answered(kept));
    }
    return Promise.resolve(answer)
      .then((value) => this.transformResponse(value, incoming, route), onFailure)
      .then(answered);
  }

  /** The last path routed, its route (undefined: none) and the path relative to that route. */
  private routedPath: string | undefined = undefined;
  private routedRoute: CompiledRoute | undefined = undefined;
  private routedRelativePath = '';

  /**
   * `matchRoute` for `path`, remembered for the next request: traffic repeats its paths, so most
   * requests skip the prefix scan (a string comparison per route) and the slice of the relative path.
   */
  private routeOf(path: string): CompiledRoute | undefined {
    if (path === this.routedPath) return this.routedRoute;
    const route = matchRoute(this.routes, path);
    this.routedPath = path;
    this.routedRoute = route;
    this.routedRelativePath = route === undefined ? '' : relativePath(route, path);
    return route;
  }

  /** `relativePath(route, path)`, from the memo when `routeOf` last routed this path. */
  private relativePathOf(route: CompiledRoute, path: string): string {
    return path === this.routedPath && route === this.routedRoute ? this.routedRelativePath : relativePath(route, path);
  }

  /** The route's client call; a synchronous failure is logged with its code and rethrown. */
  private callRoute(incoming: GatewayRequest, route: CompiledRoute, method: string, payload: unknown, clientId: string, request: Request): Promise<unknown> {
    try {
      return this.clients[route.index]!.call(method, payload, { parent: request, key: clientId });
    } catch (error) {
      this.log(incoming, route, isRpcError(error) ? error.code : 'application');
      throw error;
    }
  }

  /** The route's response transformation, then the gateway's. */
  private transformResponse(value: unknown, incoming: GatewayRequest, route: CompiledRoute): unknown {
    const response = route.spec.transformResponse ? route.spec.transformResponse(value, incoming) : value;
    return this.options.transformResponse ? this.options.transformResponse(response, incoming) : response;
  }

  private reject(incoming: GatewayRequest, route: CompiledRoute | undefined, error: RpcError): never {
    this.log(incoming, route, error.code);
    throw error;
  }

  private log(incoming: GatewayRequest, route: CompiledRoute | undefined, outcome: string): void {
    this.ctx.emit('gateway.request', this.logLine(incoming.method, incoming.path, outcome), route?.spec.service);
  }

  /** The last log line and what it was made of: traffic repeats its paths, so most lines are reused. */
  private lastLine = { method: '', path: '', outcome: '', text: '' };

  /** `GET /api/orders/42 -> ok`: built once for a run of requests with the same method, path and outcome. */
  private logLine(method: string, path: string, outcome: string): string {
    const last = this.lastLine;
    if (method === last.method && path === last.path && outcome === last.outcome) return last.text;
    const text = `${method} ${path} -> ${outcome}`;
    this.lastLine = { method, path, outcome, text };
    return text;
  }

  private store(key: string, value: unknown, route: CompiledRoute): void {
    const evicted = this.cache.set(key, value, this.ctx.now(), route.cacheTtlMs);
    this.ctx.emit('gateway.cache-store', key, route.spec.service);
    if (evicted !== undefined) this.ctx.emit('gateway.cache-evict', evicted);
  }
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
    compiled.push({ spec, index: 0, prefix, rpcMethod: spec.rpcMethod ?? 'http', requiresAuth: spec.public !== true, cacheTtlMs });
  }
  // Longest prefix wins; the sort is stable, and prefixes are unique, so the order is total.
  compiled.sort((a, b) => b.prefix.length - a.prefix.length);
  compiled.forEach((route, index) => (route.index = index));
  return compiled;
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
