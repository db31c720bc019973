// paymentOutageWallMs: every variant of scenarios/payment-outage.ts at its default size, in a fresh
// process (so JIT warm-up counts, as it does for a user), timed around the run itself.
import definition from '../../scenarios/payment-outage.ts';
import { runScenario } from '../../sim/harness/runner.ts';

const seed = Number(process.argv[2] ?? 42);
const startMs = performance.now();
const result = await runScenario(definition, seed);
const wallMs = performance.now() - startMs;
const events = result.variants.reduce((sum, variant) => sum + variant.events, 0);
process.stdout.write(`${JSON.stringify({ wallMs, events, variants: result.variants.length, ok: result.ok ? 1 : 0 })}\n`);
