// The run's trace: typed events streamed to sinks, and a rolling hash of all of them (traceHash).
// Nothing is kept in memory here, so a run of 1e7 events costs no more memory than one of 1e6.
// Message data enters the hash as a structural digest (digest.ts), so data-only differences show.
import { digestValue } from './digest.ts';

/** A span: one unit of work in a request, linked to its parent across RPC and bus hops. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** The node (service instance) that did the work. */
  service: string;
  name: string;
  startMs: number;
  endMs: number;
  status: 'ok' | 'error';
  /** Error code or message when status is 'error'. */
  error?: string;
}

/**
 * One thing that happened. `kind` names it (`msg.sent`, `node.crash`, `span`…);
 * `node` is where it happened, `peer` the other side if any, `id` a message or request id, and
 * `detail` a short free text. Spans carry their record in `span`.
 */
export interface TraceEvent {
  atMs: number;
  kind: string;
  node: string;
  peer?: string;
  id?: number;
  detail?: string;
  span?: Span;
  /** Digest of the data the event carried (a message's body, a request's answer), 8 hex digits. */
  data?: string;
}

/** Receives every trace event of a run, in order. */
export type TraceSink = (event: TraceEvent) => void;

/**
 * A trace or span id as the engine makes it: a number, given its text form (`t1f`, `s2a`) only when
 * something reads it, so the request hot path builds no string per id. Ids from outside are text.
 */
export type TraceIdKey = string | number;

/** The text of an engine-made trace id: `t` and the number in hex. */
export function traceIdText(id: TraceIdKey): string {
  return typeof id === 'number' ? `t${id.toString(16)}` : id;
}

/** The text of an engine-made span id: `s` and the number in hex. */
export function spanIdText(id: TraceIdKey): string {
  return typeof id === 'number' ? `s${id.toString(16)}` : id;
}

/** Marks a span recorded without data (`undefined` is data: a handler may answer nothing). */
const NO_DATA: unique symbol = Symbol('no data');

/**
 * The hash's constants. A const enum compiles to literals, where a module `const` costs a load from
 * the module's context and a hole check at every use: the mixing runs a dozen times per event.
 *
 * Each field of an event folds into two lanes: lane A as FNV (the field's first word, then its
 * second), lane B as multiply-xorshift. A name or text gives its hash, then its length (the length
 * separates fields, so ('ab','c') and ('a','bc') differ); a number its low word, then its high one
 * (lane B takes the high word first). The folding is written out in `record` and `recordSpan`, with
 * both lanes in locals: a helper per field was too big for V8 to inline twenty times in one event,
 * and a call per field, or a loop over gathered fields, cost two to three times as much.
 */
const enum Hash {
  FnvOffset = 0x811c9dc5,
  FnvPrime = 0x01000193,
  MixPrime = 0x5bd1e995,
  /** Node names whose hash `nodeKey` remembers. */
  RecentNodes = 4,
}

const numberView = new Float64Array(1);
const numberWords = new Uint32Array(numberView.buffer);

/**
 * Streams events to sinks and folds each into a 64-bit rolling hash (two independent 32-bit
 * lanes), so two runs can be compared by one string without keeping their events.
 */
export class Trace {
  /**
   * The two hash lanes, as raw int32 in a typed array: the mixing helpers take it (a pointer) and
   * numbers go through `numberWords`, so no double crosses a call and none is boxed per event.
   */
  private readonly lanes = Int32Array.of(Hash.FnvOffset, 0x9e3779b9);
  private readonly sinks: TraceSink[] = [];
  /** Sinks that only want some kinds; checked by kind before an event object is built. */
  private readonly filteredSinks: { kinds: ReadonlySet<string>; sink: TraceSink }[] = [];
  /** Every kind some filtered sink wants: one lookup per event, however many filtered sinks there are. */
  private readonly wantedKinds = new Set<string>();
  /** Events recorded so far. */
  count = 0;
  /** The last string or number digested, and its digest (see `digestOf`). */
  private lastDigested: unknown = NO_DATA;
  private lastDigest = 0;
  /**
   * The last name hashed in each role: a run of events of one kind, of messages with one label, of
   * spans of one method skips the lookups (the hashes are the same as `nameKey`'s). A span's service
   * is a node name, remembered with the others (`nodeKey`).
   */
  private readonly lastKinds = new LastTwoNames();
  /** Message labels and span names: a request path alternates two (a method and `reply`; the callee's method and the caller's). */
  private readonly lastLabels = new LastTwoNames();
  private readonly lastSpanNames = new LastTwoNames();
  /** The last free text (a log line a service repeats, the same error), hashed as `stringKey` does. */
  private readonly lastText = new LastText();
  /** Node names met last and their hashes, replaced in turn (see `nodeKey`). */
  private readonly recentNodes: (string | undefined)[] = new Array<string | undefined>(Hash.RecentNodes).fill(undefined);
  private readonly recentNodeKeys = new Int32Array(Hash.RecentNodes);
  private nextRecentNode = 0;

  /** Adds a sink; every later event is passed to it. */
  addSink(sink: TraceSink): void {
    this.sinks.push(sink);
  }

  /** Adds a sink that receives only events of the given kinds (cheap for the rest). */
  addFilteredSink(kinds: Iterable<string>, sink: TraceSink): void {
    const kindSet = new Set(kinds);
    this.filteredSinks.push({ kinds: kindSet, sink });
    for (const kind of kindSet) this.wantedKinds.add(kind);
  }

  /** True when some sink listens, so callers can skip building costly details. */
  get hasSinks(): boolean {
    return this.sinks.length > 0 || this.filteredSinks.length > 0;
  }

  /** The rolling hash of every event so far, as 16 hex digits. */
  get hash(): string {
    return (this.lanes[0]! >>> 0).toString(16).padStart(8, '0') + (this.lanes[1]! >>> 0).toString(16).padStart(8, '0');
  }

  /** Records one event. Positional arguments keep the hot path free of allocations without sinks. */
  emit(atMs: number, kind: string, node: string, peer?: string, id?: number, detail?: string): void {
    this.record(atMs, kind, node, peer, id, detail, undefined, false);
  }

  /**
   * Records a message event whose detail is its label (a method or message label, one of a few per
   * run): the same hash as `emit`/`emitData`, with the label's hash looked up instead of recomputed.
   * `data`, when given, is the message's body; its digest enters the hash.
   */
  emitMessage(atMs: number, kind: string, from: string, to: string, id: number, label: string, data: unknown = NO_DATA): void {
    this.record(atMs, kind, from, to, id, label, data === NO_DATA ? undefined : this.digestOf(data), true);
  }

  /**
   * Records one event that carries data (a message body, an answer): a structural digest of
   * `data` enters the hash, so two runs that differ only in what they send hash differently.
   */
  emitData(atMs: number, kind: string, node: string, peer: string | undefined, id: number | undefined, detail: string | undefined, data: unknown): void {
    this.record(atMs, kind, node, peer, id, detail, this.digestOf(data), false);
  }

  private record(atMs: number, kind: string, node: string, peer: string | undefined, id: number | undefined, detail: string | undefined, digest: number | undefined, detailIsName: boolean): void {
    this.count++;
    // Every field folds into both lanes here, written out: see `Hash` on why.
    const lanes = this.lanes;
    // Locals: a module `const` is loaded from the module's context, with a hole check, at each of its uses.
    const view = numberView;
    const words = numberWords;
    let a = lanes[0]!;
    let b = lanes[1]!;
    let mixed: number;
    let key: number;
    let low: number;
    let high: number;
    view[0] = atMs;
    low = words[0]!;
    high = words[1]!;
    a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
    mixed = Math.imul(b ^ high, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    key = this.lastKinds.keyOf(kind);
    a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ kind.length, Hash.FnvPrime);
    mixed = Math.imul(b ^ key, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ kind.length, Hash.MixPrime) ^ (mixed >>> 15);
    key = this.nodeKey(node);
    a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ node.length, Hash.FnvPrime);
    mixed = Math.imul(b ^ key, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ node.length, Hash.MixPrime) ^ (mixed >>> 15);
    // Which optional fields are present, so a peer can never pass for a detail.
    view[0] = (peer === undefined ? 0 : 1) | (id === undefined ? 0 : 2) | (detail === undefined ? 0 : 4) | (digest === undefined ? 0 : 8);
    low = words[0]!;
    high = words[1]!;
    a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
    mixed = Math.imul(b ^ high, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    if (peer !== undefined) {
      key = this.nodeKey(peer);
      a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ peer.length, Hash.FnvPrime);
      mixed = Math.imul(b ^ key, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ peer.length, Hash.MixPrime) ^ (mixed >>> 15);
    }
    if (id !== undefined) {
      view[0] = id;
      low = words[0]!;
      high = words[1]!;
      a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
      mixed = Math.imul(b ^ high, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    }
    if (detail !== undefined) {
      key = detailIsName ? this.lastLabels.keyOf(detail) : this.lastText.keyOf(detail);
      a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ detail.length, Hash.FnvPrime);
      mixed = Math.imul(b ^ key, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ detail.length, Hash.MixPrime) ^ (mixed >>> 15);
    }
    if (digest !== undefined) {
      view[0] = digest;
      low = words[0]!;
      high = words[1]!;
      a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
      mixed = Math.imul(b ^ high, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    }
    lanes[0] = a;
    lanes[1] = b;
    if (this.sinks.length > 0 || (this.filteredSinks.length > 0 && this.wanted(kind))) {
      const event: TraceEvent = { atMs, kind, node };
      if (peer !== undefined) event.peer = peer;
      if (id !== undefined) event.id = id;
      if (detail !== undefined) event.detail = detail;
      if (digest !== undefined) event.data = hex(digest);
      this.dispatch(event);
    }
  }

  /**
   * The hash of a node name (an event's node or peer, a span's service), as `nameKey` computes it. The last few are
   * remembered: events go back and forth between a handful of nodes (a caller and its callees).
   */
  private nodeKey(name: string): number {
    const names = this.recentNodes;
    for (let index = 0; index < Hash.RecentNodes; index++) if (names[index] === name) return this.recentNodeKeys[index]!;
    const slot = this.nextRecentNode;
    this.nextRecentNode = (slot + 1) % Hash.RecentNodes;
    names[slot] = name;
    return (this.recentNodeKeys[slot] = nameKey(name));
  }

  /**
   * The digest of `data`. A string or number equal to the last one digested (answers repeat: 'ok',
   * a count) reuses its digest: the digest of a primitive is a function of its value alone.
   */
  private digestOf(data: unknown): number {
    // A string is the same value as another exactly when ===; only numbers need Object.is (0, -0, NaN).
    if (typeof data === 'string' ? data === this.lastDigested : typeof data === 'number' && Object.is(data, this.lastDigested)) return this.lastDigest;
    const digest = digestValue(data);
    if (typeof data === 'string' || typeof data === 'number') {
      this.lastDigested = data;
      this.lastDigest = digest;
    }
    return digest;
  }

  private wanted(kind: string): boolean {
    return this.wantedKinds.has(kind);
  }

  /** Records a finished span; its fields all enter the hash. */
  emitSpan(span: Span): void {
    this.recordSpan(span.traceId, span.spanId, span.parentSpanId, span.service, span.name, span.startMs, span.endMs, span.status, span.error);
  }

  /**
   * Records a finished span from its fields: the same hash as `emitSpan`, and the Span object is
   * built only when a sink wants it (the request hot path makes one span per request).
   * `data`, when given, is what the request answered; its digest enters the hash.
   */
  recordSpan(
    traceId: TraceIdKey,
    spanId: TraceIdKey,
    parentSpanId: TraceIdKey | undefined,
    service: string,
    name: string,
    startMs: number,
    endMs: number,
    status: 'ok' | 'error',
    error: string | undefined,
    data: unknown = NO_DATA,
  ): void {
    // `typeof` first: a symbol is compared by reference, where comparing two unknowns is a call into
    // V8's generic equality (one span per request).
    const digest = typeof data === 'symbol' && data === NO_DATA ? undefined : this.digestOf(data);
    this.count++;
    // The fields fold in place, as in `record` (the typed arrays in locals too).
    const lanes = this.lanes;
    const view = numberView;
    const words = numberWords;
    let a = lanes[0]!;
    let b = lanes[1]!;
    let mixed: number;
    let key: number;
    let low: number;
    let high: number;
    view[0] = endMs;
    low = words[0]!;
    high = words[1]!;
    a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
    mixed = Math.imul(b ^ high, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    // The same as nameKey('span'), without the lookup.
    key = SPAN_KEY;
    a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ 'span'.length, Hash.FnvPrime);
    mixed = Math.imul(b ^ key, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ 'span'.length, Hash.MixPrime) ^ (mixed >>> 15);
    // A span's service is a node name (a caller and its callees alternate: see nodeKey).
    key = this.nodeKey(service);
    a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ service.length, Hash.FnvPrime);
    mixed = Math.imul(b ^ key, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ service.length, Hash.MixPrime) ^ (mixed >>> 15);
    if (typeof traceId === 'number') {
      view[0] = traceId;
      low = words[0]!;
      high = words[1]!;
      a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
      mixed = Math.imul(b ^ high, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    } else {
      key = stringKey(traceId);
      a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ traceId.length, Hash.FnvPrime);
      mixed = Math.imul(b ^ key, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ traceId.length, Hash.MixPrime) ^ (mixed >>> 15);
    }
    if (typeof spanId === 'number') {
      view[0] = spanId;
      low = words[0]!;
      high = words[1]!;
      a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
      mixed = Math.imul(b ^ high, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    } else {
      key = stringKey(spanId);
      a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ spanId.length, Hash.FnvPrime);
      mixed = Math.imul(b ^ key, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ spanId.length, Hash.MixPrime) ^ (mixed >>> 15);
    }
    if (parentSpanId !== undefined) {
      if (typeof parentSpanId === 'number') {
        view[0] = parentSpanId;
        low = words[0]!;
        high = words[1]!;
        a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
        mixed = Math.imul(b ^ high, Hash.MixPrime);
        mixed ^= mixed >>> 13;
        b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
      } else {
        key = stringKey(parentSpanId);
        a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ parentSpanId.length, Hash.FnvPrime);
        mixed = Math.imul(b ^ key, Hash.MixPrime);
        mixed ^= mixed >>> 13;
        b = Math.imul(mixed ^ parentSpanId.length, Hash.MixPrime) ^ (mixed >>> 15);
      }
    }
    key = this.lastSpanNames.keyOf(name);
    a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ name.length, Hash.FnvPrime);
    mixed = Math.imul(b ^ key, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ name.length, Hash.MixPrime) ^ (mixed >>> 15);
    view[0] = startMs;
    low = words[0]!;
    high = words[1]!;
    a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
    mixed = Math.imul(b ^ high, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    // The usual status's hash is kept, the same as nameKey('ok').
    key = status === 'ok' ? OK_KEY : nameKey(status);
    a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ status.length, Hash.FnvPrime);
    mixed = Math.imul(b ^ key, Hash.MixPrime);
    mixed ^= mixed >>> 13;
    b = Math.imul(mixed ^ status.length, Hash.MixPrime) ^ (mixed >>> 15);
    if (error !== undefined) {
      key = this.lastText.keyOf(error);
      a = Math.imul(Math.imul(a ^ key, Hash.FnvPrime) ^ error.length, Hash.FnvPrime);
      mixed = Math.imul(b ^ key, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ error.length, Hash.MixPrime) ^ (mixed >>> 15);
    }
    if (digest !== undefined) {
      view[0] = digest;
      low = words[0]!;
      high = words[1]!;
      a = Math.imul(Math.imul(a ^ low, Hash.FnvPrime) ^ high, Hash.FnvPrime);
      mixed = Math.imul(b ^ high, Hash.MixPrime);
      mixed ^= mixed >>> 13;
      b = Math.imul(mixed ^ low, Hash.MixPrime) ^ (mixed >>> 15);
    }
    lanes[0] = a;
    lanes[1] = b;
    if (this.sinks.length > 0 || (this.filteredSinks.length > 0 && this.wanted('span'))) {
      const span: Span = { traceId: traceIdText(traceId), spanId: spanIdText(spanId), service, name, startMs, endMs, status };
      if (parentSpanId !== undefined) span.parentSpanId = spanIdText(parentSpanId);
      if (error !== undefined) span.error = error;
      const event: TraceEvent = { atMs: endMs, kind: 'span', node: service, detail: name, span };
      if (digest !== undefined) event.data = hex(digest);
      this.dispatch(event);
    }
  }

  private dispatch(event: TraceEvent): void {
    for (const sink of this.sinks) sink(event);
    for (const filtered of this.filteredSinks) if (filtered.kinds.has(event.kind)) filtered.sink(event);
  }
}

/** Distinct names whose hash is kept (a world of 10,000 nodes fits); past this, a name is hashed each time. */
const STRING_KEY_CACHE_SIZE = 16_384;
/** String hashes by string, shared by every trace in the process (a pure function of the text). */
const stringKeys = new Map<string, number>();

/** FNV-1a over the string, two characters per multiply. */
function stringKey(text: string): number {
  let key = Hash.FnvOffset;
  const length = text.length;
  let index = 0;
  for (; index + 1 < length; index += 2) key = Math.imul(key ^ (text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16)), Hash.FnvPrime);
  if (index < length) key = Math.imul(key ^ text.charCodeAt(index), Hash.FnvPrime);
  return key;
}

/**
 * The hash of a name, from the cache (filled up to its bound): a kind, node, method or status
 * recurs on every event, so its hash is looked up, not recomputed (a Map lookup reuses the hash V8
 * keeps in the string). Free text and ids are hashed each time: a lookup that misses costs more.
 */
function nameKey(name: string): number {
  let key = stringKeys.get(name);
  if (key === undefined) {
    key = stringKey(name);
    if (stringKeys.size < STRING_KEY_CACHE_SIZE) stringKeys.set(name, key);
  }
  return key;
}

/** The last free text hashed and its hash: comparing with the last one costs less than hashing it again. */
class LastText {
  private text = '';
  private key = stringKey('');

  keyOf(text: string): number {
    if (text !== this.text) {
      this.text = text;
      this.key = stringKey(text);
    }
    return this.key;
  }
}

/**
 * The last two names hashed in one role (event kinds, message labels, span names): a request path
 * alternates between two (a delivery and what the service records; a method and its `reply`),
 * which a single memo would miss every time.
 */
class LastTwoNames {
  private name = '';
  private key = stringKey('');
  private previousName = '';
  private previousKey = stringKey('');

  keyOf(name: string): number {
    if (name === this.name) return this.key;
    const previousName = this.previousName;
    const previousKey = this.previousKey;
    this.previousName = this.name;
    this.previousKey = this.key;
    this.name = name;
    this.key = name === previousName ? previousKey : nameKey(name);
    return this.key;
  }
}

/** Hashes of the span kind and the usual status, mixed on every span. */
const SPAN_KEY = stringKey('span');
const OK_KEY = stringKey('ok');

function hex(digest: number): string {
  return digest.toString(16).padStart(8, '0');
}

/** One line describing an event, for determinism reports and logs. */
export function describeEvent(event: TraceEvent): string {
  const parts = [`t=${event.atMs}`, event.kind, event.node];
  if (event.peer !== undefined) parts.push(`-> ${event.peer}`);
  if (event.id !== undefined) parts.push(`#${event.id}`);
  if (event.detail !== undefined) parts.push(event.detail);
  if (event.span) parts.push(`trace=${event.span.traceId} span=${event.span.spanId} ${event.span.status}`);
  if (event.data !== undefined) parts.push(`data=${event.data}`);
  return parts.join(' ');
}
