// Timeouts of requests and calls without one engine event each. Calls made with the same timeout
// (an ingress client's, or one node's RPCs) have deadlines in the order they were made, so they
// wait in a line (a ring of deadline, reserved sequence number and call) and one timer stands for
// the line: it is set for the first call not yet settled, with the sequence number that call's own
// timer would have had, so a timeout fires exactly where it always did. A settled call is only
// marked; the timer moves on when it comes due and finds its call settled (an engine bookkeeping
// event, not counted), or is cancelled when no call of the line is left waiting.
import type { Simulation } from '../engine/simulation.ts';

/** A call a line waits on: `settled` once it was answered or timed out. */
export interface LineEntry {
  readonly settled: boolean;
}

/** Initial ring size of a line; it doubles when full. */
const INITIAL_CAPACITY = 16;
/** Settled entries a line tolerates behind an unsettled one before it squeezes them out. */
export const COMPACT_MIN_ANSWERED = 1024;

/** The calls made with one timeout, in the order they were made (and so in deadline order). */
export class DeadlineLine<Entry extends LineEntry> {
  // The ring of calls not yet taken by the timer, oldest first.
  private deadlines = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private calls: (Entry | undefined)[] = new Array<Entry | undefined>(INITIAL_CAPACITY).fill(undefined);
  private head = 0;
  private size = 0;
  /** Calls of the line not yet settled, the timer's included. */
  private waiting = 0;
  /** The call the timer is set for (taken off the ring), and the timer; -1 when none is set. */
  private timedCall: Entry | undefined = undefined;
  private timerHandle = -1;

  constructor(
    private readonly sim: Simulation,
    /** Fires a call's timeout: `call` is not settled and its deadline has come. */
    private readonly timeOut: (call: Entry) => void,
    /** Settled entries tolerated before a compaction (tests make it small). */
    private readonly compactMinAnswered = COMPACT_MIN_ANSWERED,
  ) {}

  /** Adds `call`, due at `deadlineMs` with the sequence number `seq` its own timer would have had. */
  add(call: Entry, deadlineMs: number, seq: number): void {
    if (this.size === this.deadlines.length) this.grow();
    const index = (this.head + this.size) & (this.deadlines.length - 1);
    this.deadlines[index] = deadlineMs;
    this.seqs[index] = seq;
    this.calls[index] = call;
    this.size++;
    this.waiting++;
    // With nothing else waiting, every call before it is settled: the timer is for this one.
    if (this.timerHandle < 0 && this.waiting === 1) this.arm();
  }

  /** A call of this line, waiting until now, was settled (answered). */
  answered(): void {
    if (--this.waiting === 0) {
      if (this.timerHandle >= 0) this.sim.cancel(this.timerHandle);
      this.timerHandle = -1;
      this.timedCall = undefined;
      this.clear();
      return;
    }
    // Calls mostly settle in the order they were made: settled ones leave the front at once.
    this.dropSettled();
    if (this.size - this.waiting > this.compactMinAnswered && this.size > 2 * this.waiting) this.compact();
  }

  /** The timer came due at its call's deadline. */
  private readonly onTimer = (): void => {
    const call = this.timedCall!;
    this.timerHandle = -1;
    this.timedCall = undefined;
    if (call.settled) {
      // Settled since the timer was set: nothing happens at this time that would not have happened.
      this.sim.discountEvent();
    } else {
      this.waiting--;
      this.timeOut(call);
    }
    if (this.timerHandle < 0 && this.waiting > 0) this.arm();
    if (this.waiting === 0) this.clear();
  };

  /** Sets the timer for the oldest unsettled call, taking it off the ring. */
  private arm(): void {
    this.dropSettled();
    this.timedCall = this.calls[this.head]!;
    this.timerHandle = this.sim.atReserved(this.deadlines[this.head]!, this.seqs[this.head]!, this.onTimer);
    this.shift();
  }

  /** Drops settled calls from the front of the ring. */
  private dropSettled(): void {
    while (this.size > 0 && this.calls[this.head]!.settled) this.shift();
  }

  private shift(): void {
    this.calls[this.head] = undefined;
    this.head = (this.head + 1) & (this.deadlines.length - 1);
    this.size--;
  }

  /** Forgets every entry of the ring (all settled). */
  private clear(): void {
    while (this.size > 0) this.shift();
    this.head = 0;
  }

  /** Squeezes settled calls out of the ring, keeping the order (they pile up behind a slow one). */
  private compact(): void {
    const mask = this.deadlines.length - 1;
    let kept = 0;
    for (let offset = 0; offset < this.size; offset++) {
      const from = (this.head + offset) & mask;
      const call = this.calls[from]!;
      this.calls[from] = undefined;
      if (call.settled) continue;
      const to = (this.head + kept) & mask;
      this.deadlines[to] = this.deadlines[from]!;
      this.seqs[to] = this.seqs[from]!;
      this.calls[to] = call;
      kept++;
    }
    this.size = kept;
  }

  private grow(): void {
    const capacity = this.deadlines.length * 2;
    const deadlines = new Float64Array(capacity);
    const seqs = new Float64Array(capacity);
    const calls = new Array<Entry | undefined>(capacity).fill(undefined);
    const mask = this.deadlines.length - 1;
    for (let offset = 0; offset < this.size; offset++) {
      const from = (this.head + offset) & mask;
      deadlines[offset] = this.deadlines[from]!;
      seqs[offset] = this.seqs[from]!;
      calls[offset] = this.calls[from];
    }
    this.deadlines = deadlines;
    this.seqs = seqs;
    this.calls = calls;
    this.head = 0;
  }
}

/** One caller's lines, one per timeout, made as each timeout is first used. */
export class DeadlineLines<Entry extends LineEntry> {
  private readonly lines = new Map<number, DeadlineLine<Entry>>();
  /** The line used last, and its timeout: a caller's calls mostly share one timeout. */
  private lastTimeoutMs = NaN;
  private lastLine: DeadlineLine<Entry> | undefined = undefined;

  constructor(
    private readonly sim: Simulation,
    private readonly timeOut: (call: Entry) => void,
    /** Most distinct timeouts given a line; calls with any other timeout get their own timer. */
    private readonly maxLines: number,
    private readonly compactMinAnswered = COMPACT_MIN_ANSWERED,
  ) {}

  /**
   * The line for calls with this timeout; undefined when they get their own timer instead: past
   * `maxLines` distinct timeouts, or for a timeout that is not a finite number >= 0 (the timer path
   * rejects it as it always did).
   */
  lineFor(timeoutMs: number): DeadlineLine<Entry> | undefined {
    if (timeoutMs === this.lastTimeoutMs) return this.lastLine;
    if (!(timeoutMs >= 0 && timeoutMs < Infinity)) return undefined;
    let line = this.lines.get(timeoutMs);
    if (line === undefined) {
      if (this.lines.size >= this.maxLines) return undefined;
      line = new DeadlineLine(this.sim, this.timeOut, this.compactMinAnswered);
      this.lines.set(timeoutMs, line);
    }
    this.lastTimeoutMs = timeoutMs;
    this.lastLine = line;
    return line;
  }
}
