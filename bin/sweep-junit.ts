// JUnit XML for CI systems: one testcase per seed × variant, each failure with its messages and the
// replay line, so a red test in the CI view says how to rerun it.
import type { SweepResult } from './sweep-summary.ts';
import { replayCommand } from './replay-command.ts';

/** Escapes text for XML attributes and character data. */
function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Characters XML 1.0 cannot hold at all.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** The replay line for one failing seed and variant of a sweep. */
export function sweepReplayCommand(result: Pick<SweepResult, 'file' | 'swarm'>, seed: number, variant: string): string {
  return replayCommand(result.file, seed, variant, result.swarm ? ['--swarm'] : []);
}

/** Renders a sweep as a JUnit XML document (one testsuite named after the scenario). */
export function renderJunit(result: SweepResult): string {
  const cases: string[] = [];
  let tests = 0;
  let failures = 0;
  for (const entry of result.results) {
    for (const variant of entry.variants) {
      tests++;
      const name = escapeXml(`seed ${entry.seed} ${variant.name}`);
      const classname = escapeXml(`${result.scenario}.${variant.name}`);
      if (variant.ok) {
        cases.push(`    <testcase classname="${classname}" name="${name}"/>`);
        continue;
      }
      failures++;
      const first = variant.failures[0];
      const message = first ? `${first.check}: ${first.message}` : 'failed';
      const lines = [
        `seed=${entry.seed} variant=${variant.name}`,
        ...variant.failures.map((failure) => `${failure.kind} '${failure.check}' at ${Math.round(failure.atMs)} ms: ${failure.message}`),
        ...(variant.faults.length > 0 ? ['faults:', ...variant.faults.map((fault) => `  ${fault}`)] : []),
        ...(Object.keys(variant.options).length > 0 ? [`options: ${formatOptions(variant.options)}`] : []),
        `replay: ${sweepReplayCommand(result, entry.seed, variant.name)}`,
      ];
      cases.push(
        `    <testcase classname="${classname}" name="${name}">\n` +
          `      <failure type="${escapeXml(first?.kind ?? 'failure')}" message="${escapeXml(message)}">${escapeXml(lines.join('\n'))}</failure>\n` +
          `    </testcase>`,
      );
    }
  }
  const suite = escapeXml(result.scenario);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="sim sweep" tests="${tests}" failures="${failures}">\n` +
    `  <testsuite name="${suite}" tests="${tests}" failures="${failures}" errors="0" skipped="0">\n` +
    `${cases.join('\n')}${cases.length > 0 ? '\n' : ''}` +
    `  </testsuite>\n` +
    `</testsuites>\n`
  );
}

/** `name=value, …` for swarm options, values rounded for reading. */
export function formatOptions(options: Record<string, number>): string {
  return Object.entries(options)
    .map(([name, value]) => `${name}=${Number.isInteger(value) ? value : Math.round(value * 1000) / 1000}`)
    .join(', ');
}
