/**
 * The project's test command (`npm test`).
 *
 * Why not plain `uvu tests`: WebRTC gathers every interface's address, and the
 * rule here is that tests talk to loopback only. So the runner re-executes
 * itself inside a fresh network namespace that has nothing but `lo`, then runs
 * every `*.test.ts` file in its own Node process (one crash or leaked handle
 * cannot take the others down), with a time limit per file, and prints the
 * totals as `N passed, N failed`.
 *
 * Usage: `npm test [-- substring ...]` runs only files whose path contains one
 * of the substrings.
 *
 * Two lanes share the machine's two cores: suites without browsers or media
 * (crypto, contracts, signaling, layers, runner, docker) run one at a time
 * beside the media suites (cluster, e2e), and the timing-sensitive suites (client's
 * payment grace, the SFU's) start only once both are done. Each file's output is printed
 * whole when it ends, so the lanes never interleave. `TEST_LANES=1` runs every
 * file one after another.
 *
 * Before anything runs it checks the system commands the suites need
 * (tests/runner/system-packages.ts) and names the missing ones in one line with
 * the command that installs them: a full run stops there; a filtered run stops
 * only without `ip`/`unshare` (every run needs the namespace), else warns.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemCheck } from './runner/system-packages.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const perFileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_MS ?? 300_000);
const lanes = process.env.TEST_LANES === '1' ? 1 : 2;
/** Folders of tests/ whose suites start no browser, media or TURN: they run beside the media lane. */
const LIGHT = new Set(['crypto', 'contracts', 'signaling', 'layers', 'runner', 'docker']);
/** Folders whose suites measure timing (a payment's grace period, event-loop delay, bitrate ramps): they run alone, after the light lane. */
const ALONE = new Set(['client', 'sfu']);
const folderOf = (file: string) => relative(join(root, 'tests'), file).split(/[\\/]/)[0] ?? '';

function inLoopbackOnlyNamespace(): boolean {
  const out = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  if (out.status !== 0) return false;
  const links = out.stdout.split('\n').filter((l) => l.trim() !== '');
  return links.length === 1 && /\blo\b/.test(links[0] ?? '');
}

function reexecInNamespace(): never {
  const isRoot = process.getuid?.() === 0;
  const unshareArgs = isRoot ? ['-n'] : ['-rn'];
  const inner = `ip link set lo up && exec "${process.execPath}" --import tsx "${fileURLToPath(import.meta.url)}" "$@"`;
  const result = spawnSync('unshare', [...unshareArgs, 'bash', '-c', inner, 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, LIVECAM_TEST_NETNS: '1' },
  });
  if (result.error) {
    console.error(`tests/run: cannot create a loopback-only network namespace (${result.error.message}).`);
    console.error('Install util-linux and iproute2, run as root or allow user namespaces.');
    process.exit(2);
  }
  process.exit(result.status ?? 1);
}

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

interface FileResult { file: string; passed: number; failed: number; skipped: number; ok: boolean; ms: number }

function runFile(file: string): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d; });
    child.stderr.on('data', (d: Buffer) => { err += d; });
    const timer = setTimeout(() => {
      console.error(`\ntests/run: ${relative(root, file)} exceeded ${perFileTimeoutMs} ms, killed`);
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, perFileTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      // Kill anything the file left behind (browsers, servers) in its process group.
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* nothing left */ }
      const num = (label: string) => [...out.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))]
        .reduce((sum, m) => sum + Number(m[1]), 0);
      const total = num('Total');
      const passed = num('Passed');
      const skipped = num('Skipped');
      let failed = Math.max(0, total - passed - skipped);
      if (code !== 0 && failed === 0) failed = 1; // crashed or timed out before uvu's summary
      process.stdout.write(`\n# ${relative(root, file)}\n${out}`);
      if (err) process.stderr.write(err);
      resolve({ file, passed, failed, skipped, ok: code === 0 && failed === 0, ms: Date.now() - started });
    });
  });
}

function checkSystemCommands(): void {
  const verdict = systemCheck(process.argv.length > 2);
  if (!verdict) return;
  console.error(verdict.line);
  if (verdict.stop) process.exit(2);
}

async function main(): Promise<void> {
  if (process.env.LIVECAM_TEST_NETNS !== '1') checkSystemCommands();
  if (process.env.LIVECAM_TEST_NETNS !== '1' && !inLoopbackOnlyNamespace()) reexecInNamespace();

  const filters = process.argv.slice(2);
  const files = findTests(join(root, 'tests')).filter(
    (f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)),
  );
  if (files.length === 0) {
    console.error('tests/run: no test file matched');
    process.exit(1);
  }
  const byFile = new Map<string, FileResult>();
  const runAll = async (list: string[]) => { for (const file of list) byFile.set(file, await runFile(file)); };
  if (lanes === 1) await runAll(files);
  else {
    const light = files.filter((f) => LIGHT.has(folderOf(f)));
    const alone = files.filter((f) => ALONE.has(folderOf(f)));
    const media = files.filter((f) => !light.includes(f) && !alone.includes(f));
    await Promise.all([runAll(light), runAll(media)]);
    await runAll(alone);
  }
  const results = files.map((f) => byFile.get(f)!);
  console.log('\n# summary');
  for (const r of results) {
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${relative(root, r.file)} (${r.passed} passed, ${r.failed} failed, ${(r.ms / 1000).toFixed(1)} s)`);
  }
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const skipped = results.reduce((s, r) => s + r.skipped, 0);
  console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed === 0 && results.every((r) => r.ok) ? 0 : 1);
}

await main();
