// A single-leader replicated key-value store (leader kv-1, followers kv-2 and kv-3) under a
// client that records every operation's invocation and completion. The history is checked for
// linearizability, the four session guarantees and bounded staleness.
//
// Variants: `sync` (the leader waits for every follower, reads at the leader), `async-follower-reads`
// (the leader acknowledges at once, followers lag ~30 ms behind and serve the reads) and `quorum`
// (W = 2 of 3 with the leader ordering writes; reads take the newest of R = 2 answers and write it
// back before answering — the write-back is what makes quorum reads linearizable).
// Faults: kv-2 is cut off from the leader for 1.5 s, then kv-3 crashes for 300 ms.
//
// What to look at: `sync` and `quorum` pass every check; `async-follower-reads` fails
// linearizability (a read misses an acknowledged write: the failure draws the two to six operations
// that cannot be ordered as a timeline), read-your-writes and bounded staleness on every seed, and
// monotonic reads on nearly every seed (199 of seeds 1..200). Monotonic writes and
// writes-follow-reads hold everywhere, since the leader orders every write. `sync` pays with
// availability: while a follower is unreachable its writes fail as `unknown` (they may have taken
// effect). `sim shrink scenarios/replicated-kv.ts --seed 1 --variant async-follower-reads --check
// linearizable` cuts the violation from 178 requests to 5.
import { scenario, crash, partition } from '../sim/index.ts';
import type { NodeContext, Request, World, WitnessOperation } from '../sim/index.ts';
import { HistoryRecorder, linearizable, readYourWrites, monotonicReads, monotonicWrites, writesFollowReads, boundedStaleness, type OperationRequest } from '../services/consistency/index.ts';
import { kvReplica, ReplicatedKvClient, type ReplicatedKvOptions, type ReplicationMode } from '../services/consistency/replicated-kv.ts';

const LEADER = 'kv-1';
const FOLLOWERS = ['kv-2', 'kv-3'];
const CLIENT_NODE = 'kv-client';
/** Register keys; `log` takes appends. Few keys, so reads often follow writes of the same key. */
const REGISTER_KEYS = ['k0', 'k1', 'k2', 'k3'];
const SESSIONS = 4;
/** Values are small, so compare-and-set sometimes matches. */
const VALUES = 5;
/** How far behind a follower may be before a read counts stale, ms. */
const STALENESS_BOUND_MS = 500;

/** One client operation as the workload sends it. */
interface OperationPayload extends OperationRequest {
  session: string;
}

/** The system a variant builds, as checks see it. */
interface KvSystem {
  entry: string;
  recorder: HistoryRecorder;
  metrics(): Record<string, number>;
  /** The whole history, kept in the result (it is small: a few hundred operations). */
  history(): WitnessOperation[];
}

/** The client node: runs each workload operation against the store and records it. */
function clientNode(recorder: HistoryRecorder, options: ReplicatedKvOptions) {
  return (ctx: NodeContext) => {
    const client = new ReplicatedKvClient(ctx, ctx.rng.fork('follower-choice'), options);
    return {
      handlers: {
        op: (body: OperationPayload, _request: Request) => {
          const { session, ...request } = body;
          return recorder.track(session, request, () => client.run(request));
        },
      },
    };
  };
}

function build(mode: ReplicationMode) {
  return (world: World) => {
    const options: ReplicatedKvOptions = { mode, leader: LEADER, followers: FOLLOWERS, callTimeoutMs: 200 };
    const recorder = new HistoryRecorder(world, { maxOperations: 50_000 });
    for (const name of [LEADER, ...FOLLOWERS]) world.addNode(name, kvReplica(options), { workers: 64, queueCapacity: 1_000 });
    world.addNode(CLIENT_NODE, clientNode(recorder, options), { workers: 1_000, queueCapacity: 0 });
    // Replication crosses a slower link than client traffic: followers lag the leader by ~30 ms.
    for (const follower of FOLLOWERS) world.network.setLink(LEADER, follower, { latencyMs: { kind: 'lognormal', median: 30, sigma: 0.5 } });
    return {
      entry: CLIENT_NODE,
      recorder,
      history: () => recorder.toWitness(),
      metrics: () => {
        const count = (outcome: string): number => recorder.operations.filter((operation) => operation.outcome === outcome).length;
        return { operations: recorder.operations.length, ok: count('ok'), failed: count('fail'), unknown: count('unknown') };
      },
    } satisfies KvSystem;
  };
}

const recorded = (system: KvSystem): HistoryRecorder => system.recorder;

export default scenario<KvSystem>({
  name: 'replicated-kv',
  description: 'A leader and two followers in three replication modes; a client records every operation and the history is checked for linearizability and session guarantees.',
  durationMs: 4_000,
  quiesceMs: 1_000,
  checkIntervalMs: 500,
  network: { latencyMs: { kind: 'lognormal', median: 2, sigma: 0.3 } },
  workload: {
    kind: 'open',
    ratePerSec: 40,
    timeoutMs: 1_000,
    request: (rng) => {
      const session = `s${rng.int(0, SESSIONS)}`;
      const value = rng.int(0, VALUES);
      if (rng.chance(0.2)) {
        const payload: OperationPayload = rng.chance(0.5) ? { session, kind: 'append', key: 'log', value } : { session, kind: 'read', key: 'log' };
        return { endpoint: `${payload.kind} log`, method: 'op', payload };
      }
      const key = REGISTER_KEYS[rng.int(0, REGISTER_KEYS.length)]!;
      const draw = rng.uniform(0, 1);
      const payload: OperationPayload =
        draw < 0.45 ? { session, kind: 'read', key } : draw < 0.85 ? { session, kind: 'write', key, value } : { session, kind: 'cas', key, expected: rng.int(0, VALUES), value };
      return { endpoint: `${payload.kind} register`, method: 'op', payload };
    },
  },
  variants: [
    { name: 'sync', description: 'the leader acknowledges once every follower has the write; reads at the leader', build: build('sync') },
    { name: 'async-follower-reads', description: 'the leader acknowledges at once and replicates in the background; reads at a random follower', build: build('async-follower-reads') },
    { name: 'quorum', description: 'W=2 of 3 through the leader; reads take the newest of R=2 answers and write it back', build: build('quorum') },
  ],
  faults: [
    { atMs: 1_000, durationMs: 1_500, fault: partition([LEADER], ['kv-2']) },
    { atMs: 3_000, durationMs: 300, fault: crash('kv-3') },
  ],
  checks: [
    linearizable(recorded),
    readYourWrites(recorded),
    monotonicReads(recorded),
    monotonicWrites(recorded),
    writesFollowReads(recorded),
    boundedStaleness(recorded, { boundMs: STALENESS_BOUND_MS }),
  ],
});
