import { readFileSync } from 'node:fs';
import { runMain } from '../../src/process';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a file belongs: an npm package, Node itself, or Beckon's own code. */
function ownerOf(url: string): string {
  if (!url) return '(native, GC, idle)';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const rest = url.slice(inModules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node (core)';
  const beckon = /\/(src|scripts)\/.*$/.exec(url);
  return beckon ? `beckon ${beckon[0].slice(1)}` : url;
}

/**
 * `npm run bench:profile -- <file.cpuprofile> [--top N]`: self time of a V8 CPU profile (from
 * `node --cpu-prof`) by package and by function, so BENCHMARKS.md can say where the time goes.
 */
async function main(): Promise<void> {
  const [file, flag, value] = process.argv.slice(2);
  if (!file) {
    console.error('usage: npm run bench:profile -- <file.cpuprofile> [--top N]');
    process.exitCode = 2;
    return;
  }
  const top = flag === '--top' ? Number(value) : 25;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    total += ms;
    const owner = ownerOf(frame.url);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} ${owner}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }
  const pct = (ms: number) => `${((ms / total) * 100).toFixed(1)}%`;
  console.log(`busy ${Math.round(total)} ms, idle ${Math.round(idle)} ms\n`);
  console.log('| by package | self ms | share |\n|---|---|---|');
  for (const [owner, ms] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${owner} | ${Math.round(ms)} | ${pct(ms)} |`);
  console.log('\n| by function | self ms | share |\n|---|---|---|');
  for (const [name, ms] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`| ${name} | ${Math.round(ms)} | ${pct(ms)} |`);
}

runMain(main);
