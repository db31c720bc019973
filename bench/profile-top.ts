// Prints the functions with the most self time in a V8 CPU profile (`node --cpu-prof`), one line
// each: `node --import tsx bench/profile-top.ts <file.cpuprofile> [count]`. Idle time and the
// module loader's worker thread are listed like any other entry, so startup cost stays visible.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countText = '15'] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node --import tsx bench/profile-top.ts <file.cpuprofile> [count]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodeById = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<string, number>();
let totalUs = 0;
profile.samples.forEach((id, index) => {
  const frame = nodeById.get(id)!.callFrame;
  const where = frame.url === '' ? '' : ` ${frame.url.replace(/^file:\/\/.*?\/(sim|services|bench|scenarios|bin|node_modules)\//, '$1/')}`;
  const key = `${frame.functionName || '(anonymous)'}${where}`;
  const deltaUs = profile.timeDeltas[index] ?? 0;
  selfUs.set(key, (selfUs.get(key) ?? 0) + deltaUs);
  totalUs += deltaUs;
});
const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(countText));
for (const [key, us] of top) {
  process.stdout.write(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${key}\n`);
}
process.stdout.write(`${(totalUs / 1000).toFixed(0).padStart(7)} ms total\n`);
