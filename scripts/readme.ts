// `npm run readme`: regenerates every sample-output block of README.md from the real command
// (`npm run readme -- --check` only reports stale blocks, exit 1). test/readme.test.ts checks freshness.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../reports/atomic-write.ts';
import { REPO_ROOT, expectedBodies, staleReport, withBodies } from './readme-blocks.ts';

const FILE = 'README.md';

const blocksOf = (count: number): string => `${count} generated block${count === 1 ? '' : 's'}`;

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`readme: unknown argument '${unknown[0]}' (usage: npm run readme [-- --check])\n`);
    return 2;
  }
  const path = join(REPO_ROOT, FILE);
  const markdown = readFileSync(path, 'utf8');
  const bodies = await expectedBodies(markdown);
  const stale = bodies.flatMap(({ block, expected }) => staleReport(FILE, block, expected) ?? []);
  if (argv.includes('--check')) {
    for (const report of stale) process.stdout.write(`${report}\n`);
    process.stdout.write(`${FILE}: ${blocksOf(bodies.length)}, ${stale.length} stale\n`);
    return stale.length > 0 ? 1 : 0;
  }
  if (stale.length > 0) await writeFileAtomic(path, withBodies(markdown, bodies));
  const updated = bodies.filter(({ block, expected }) => block.body !== expected).map(({ block }) => block.command);
  process.stdout.write(`${FILE}: ${blocksOf(bodies.length)}, ${updated.length} updated${updated.length > 0 ? `: ${updated.join('; ')}` : ''}\n`);
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`readme: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
