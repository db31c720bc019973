// The M/M/1 peer: runs bench/cases/mm1-simpy.py (same workload as engine.ts mm1: λ 0.9, μ 1 per ms)
// with the first Python that has SimPy. Prints its JSON line, or {"unavailable": "<how to install>"}
// when no Python has SimPy, so `npm run bench` says what to do instead of failing.
// `node --import tsx bench/cases/mm1-simpy.ts 1000000`
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../bin/package-root.ts';

/** Debian's package puts SimPy 2.3.1 in the system Python, which may not be the `python3` on PATH (pyenv). */
const PYTHONS = ['/usr/bin/python3', 'python3', 'python'];
const INSTALL_HINT = 'no Python with SimPy found (tried /usr/bin/python3, python3, python): `apt-get install -y python3-simpy` installs SimPy 2.3.1 for /usr/bin/python3 (or `pip install simpy`)';
/** Longest the peer may take: a stuck interpreter must not hang the benchmark. */
const PEER_TIMEOUT_MS = 240_000;

/** The first interpreter that can import SimPy 2 (`SimPy`) or SimPy 3+ (`simpy`). */
function pythonWithSimPy(): string | undefined {
  return PYTHONS.find((python) => {
    const probe = spawnSync(python, ['-c', 'try:\n import SimPy\nexcept ImportError:\n import simpy'], { encoding: 'utf8', timeout: 30_000 });
    return probe.status === 0;
  });
}

/** The peer's script: beside this file in the sources, in the sources' bench/cases when this runs compiled (npm run bench). */
function simPyScript(): string {
  const beside = fileURLToPath(new URL('./mm1-simpy.py', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('bench/cases/mm1-simpy.py', packageRoot()));
}

const customers = process.argv[2] ?? '1000000';
const python = pythonWithSimPy();
if (python === undefined) {
  process.stdout.write(`${JSON.stringify({ unavailable: INSTALL_HINT })}\n`);
} else {
  const script = simPyScript();
  const peer = spawnSync(python, [script, customers], { encoding: 'utf8', timeout: PEER_TIMEOUT_MS });
  if (peer.status !== 0) throw new Error(`SimPy run failed (${python}):\n${peer.stderr}`);
  process.stdout.write(peer.stdout.trim().split('\n').pop()! + '\n');
}
