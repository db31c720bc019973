// paymentOutageWallMs: every variant of scenarios/payment-outage.ts at its default size, in a fresh
// process (so JIT warm-up counts, as it does for a user), timed around the run itself.
import definition from '../../scenarios/payment-outage.ts';
import { runScenario } from '../../sim/harness/runner.ts';

// `payment-outage.ts <seed> [seeds] [warmupSeeds]`: with a count, seeds seed..seed+count-1 in one
// process, after `warmupSeeds` untimed seeds (as a sweep worker runs them once warm):
// `cpuMsPerSeed` is then the steady-state CPU cost of one seed, every variant (issue 13's
// "payment-outage, CPU per seed"); CPU time includes V8's GC and compiler threads.
const seed = Number(process.argv[2] ?? 42);
const seeds = Number(process.argv[3] ?? 1);
// Seeds run first and left out of the figures (other seeds than the timed ones): a sweep worker
// compiles its hot code over its first seeds, which a long sweep amortises.
const warmupSeeds = Number(process.argv[4] ?? 0);
for (let offset = 1; offset <= warmupSeeds; offset++) await runScenario(definition, seed + seeds + offset);
const startMs = performance.now();
const startCpu = process.cpuUsage();
let events = 0;
let variants = 0;
let ok = 1;
for (let offset = 0; offset < seeds; offset++) {
  const result = await runScenario(definition, seed + offset);
  events += result.variants.reduce((sum, variant) => sum + variant.events, 0);
  variants += result.variants.length;
  if (!result.ok) ok = 0;
}
const wallMs = performance.now() - startMs;
const cpu = process.cpuUsage(startCpu);
const cpuMs = (cpu.user + cpu.system) / 1000;
process.stdout.write(`${JSON.stringify({ wallMs, wallMsPerSeed: wallMs / seeds, cpuMs, cpuMsPerSeed: cpuMs / seeds, events, variants, ok })}\n`);
