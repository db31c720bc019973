// Register histories with known answers, for the checker's tests: classic cases from the
// literature on atomic registers and from the Jepsen/Knossos cas-register model.
import { op, type Operation } from './history.ts';

/** A fixture: a history and whether it is linearizable. */
export interface HistoryFixture {
  name: string;
  linearizable: boolean;
  operations: Operation[];
  /** For violations: ids of a witness a minimal search should find. */
  witness?: number[];
}

export const FIXTURES: HistoryFixture[] = [
  {
    name: 'a read concurrent with a write may see either value',
    linearizable: true,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10), op(1, 'p2', 'read', 'x', { output: null }, 5, 15), op(2, 'p3', 'read', 'x', { output: 1 }, 6, 16)],
  },
  {
    name: 'a stale read: a read that starts after a write completed sees the old value',
    linearizable: false,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10), op(1, 'p2', 'read', 'x', { output: null }, 20, 30)],
    witness: [0, 1],
  },
  {
    // Lamport, "On Interprocess Communication" (1986): a regular register allows it, an atomic one does not.
    name: 'new-old inversion: two reads inside one write see the new value, then the old',
    linearizable: false,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0, 100), op(1, 'p2', 'read', 'x', { output: 1 }, 10, 20), op(2, 'p3', 'read', 'x', { output: null }, 30, 40)],
    witness: [0, 1, 2],
  },
  {
    name: 'concurrent writes may take effect in either order',
    linearizable: true,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10), op(1, 'p2', 'write', 'x', { value: 2 }, 5, 15), op(2, 'p3', 'read', 'x', { output: 1 }, 20, 25)],
  },
  {
    name: 'reads of two concurrent writes cannot flip back: 1, then 2, then 1',
    linearizable: false,
    operations: [
      op(0, 'p1', 'write', 'x', { value: 1 }, 0, 100),
      op(1, 'p2', 'write', 'x', { value: 2 }, 0, 100),
      op(2, 'p3', 'read', 'x', { output: 1 }, 10, 20),
      op(3, 'p3', 'read', 'x', { output: 2 }, 30, 40),
      op(4, 'p3', 'read', 'x', { output: 1 }, 50, 60),
    ],
    witness: [0, 1, 2, 3, 4],
  },
  {
    name: 'a write that timed out may take effect late',
    linearizable: true,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0), op(1, 'p2', 'read', 'x', { output: null }, 10, 20), op(2, 'p2', 'read', 'x', { output: 1 }, 500, 510)],
  },
  {
    name: 'a write that timed out may never take effect',
    linearizable: true,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0), op(1, 'p2', 'read', 'x', { output: null }, 500, 510)],
  },
  {
    name: 'a write that timed out cannot be seen, then unseen',
    linearizable: false,
    operations: [op(0, 'p1', 'write', 'x', { value: 1 }, 0), op(1, 'p2', 'read', 'x', { output: 1 }, 10, 20), op(2, 'p2', 'read', 'x', { output: null }, 30, 40)],
    witness: [0, 1, 2],
  },
  {
    name: 'a failed write never took effect: reading its value is a violation',
    linearizable: false,
    operations: [op(0, 'p1', 'write', 'x', { value: 0 }, 0, 5), op(1, 'p1', 'write', 'x', { value: 1, outcome: 'fail' }, 10, 20), op(2, 'p2', 'read', 'x', { output: 1 }, 30, 40)],
    witness: [1, 2],
  },
  {
    name: 'compare-and-set: two cas from the same value cannot both succeed',
    linearizable: false,
    operations: [op(0, 'p1', 'write', 'x', { value: 0 }, 0, 10), op(1, 'p2', 'cas', 'x', { expected: 0, value: 1 }, 20, 30), op(2, 'p3', 'cas', 'x', { expected: 0, value: 2 }, 40, 50)],
    witness: [0, 1, 2],
  },
  {
    name: 'compare-and-set: a cas that reported no match took no effect',
    linearizable: true,
    operations: [
      op(0, 'p1', 'write', 'x', { value: 0 }, 0, 10),
      op(1, 'p2', 'cas', 'x', { expected: 5, value: 1, outcome: 'fail' }, 20, 30),
      op(2, 'p3', 'cas', 'x', { expected: 0, value: 2 }, 40, 50),
      op(3, 'p1', 'read', 'x', { output: 2 }, 60, 70),
    ],
  },
  {
    name: 'compare-and-set: a cas that timed out may have applied on top of a write that timed out',
    linearizable: true,
    operations: [
      op(0, 'p1', 'write', 'x', { value: 1 }, 0, 10),
      op(1, 'p1', 'write', 'x', { value: 2 }, 20),
      op(2, 'p2', 'cas', 'x', { expected: 2, value: 3 }, 30),
      op(3, 'p3', 'read', 'x', { output: 3 }, 100, 110),
    ],
  },
  {
    name: 'append: concurrent appends in either order, but one order for every reader',
    linearizable: false,
    operations: [
      op(0, 'p1', 'append', 'x', { value: 1 }, 0, 50),
      op(1, 'p2', 'append', 'x', { value: 2 }, 0, 50),
      op(2, 'p3', 'read', 'x', { output: [2, 1] }, 60, 70),
      op(3, 'p4', 'read', 'x', { output: [1, 2] }, 80, 90),
    ],
    witness: [0, 1, 2, 3],
  },
  {
    name: 'append: a read sees a prefix of the appends that completed',
    linearizable: true,
    operations: [
      op(0, 'p1', 'append', 'x', { value: 1 }, 0, 10),
      op(1, 'p2', 'append', 'x', { value: 2 }, 5, 50),
      op(2, 'p3', 'read', 'x', { output: [1] }, 20, 30),
      op(3, 'p3', 'read', 'x', { output: [1, 2] }, 60, 70),
    ],
  },
];
