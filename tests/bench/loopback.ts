/**
 * Benchmarks talk to loopback only, as the tests do: a bench run from a normal shell re-executes itself inside a
 * fresh network namespace that has nothing but `lo` (tests/run.ts does the same for the tests).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** True inside a namespace whose only link is `lo`. */
export function loopbackOnly(): boolean {
  const out = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const links = out.stdout?.split('\n').filter((l) => l.trim() !== '') ?? [];
  return out.status === 0 && links.length === 1 && /\blo\b/.test(links[0] ?? '');
}

/** Runs `main` on loopback only: here when already inside such a namespace, else in a new one; exits with its status. */
export async function runOnLoopback(benchUrl: string, main: () => Promise<unknown>): Promise<never> {
  if (loopbackOnly() || process.env.LIVECAM_BENCH_NETNS === '1') {
    await main();
    process.exit(0);
  }
  const isRoot = process.getuid?.() === 0;
  const inner = `ip link set lo up && exec "${process.execPath}" --import tsx "${fileURLToPath(benchUrl)}"`;
  const r = spawnSync('unshare', [...(isRoot ? ['-n'] : ['-rn']), 'bash', '-c', inner], { stdio: 'inherit', env: { ...process.env, LIVECAM_BENCH_NETNS: '1' } });
  process.exit(r.status ?? 1);
}
