/**
 * The real `npm start` entry point as a child process: it comes up healthy,
 * SIGTERM stops it and every process it started, and a bad configuration
 * exits with code 2 naming the variable.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { npmStart } from '../helpers/npm-start.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = ['--import', 'tsx', 'signaling/main.ts'];

function startEntry(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CHAIN_PORT: '0', SFU_WORKERS: '2', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => { output += d; });
  child.stderr!.on('data', (d: Buffer) => { output += d; });
  return { child, output: () => output };
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => reject(new Error(`no exit within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); resolve(code); });
  });
}

/** Every live descendant of `pid`, from /proc (no `ps` needed). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch { /* exited meanwhile */ }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    for (const [child, parent] of parents) if (parent === p) { found.push(child); queue.push(child); }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(state); // a zombie has exited already
  } catch {
    return false;
  }
}

const start = suite('npm start entry point');

start('comes up healthy, prints where to go, and SIGTERM leaves no process behind', async () => {
  const { child, output } = startEntry({});
  try {
    const deadline = Date.now() + 60_000;
    let url = '';
    while (!url && Date.now() < deadline) {
      url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1] ?? '';
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(url, `no URL printed:\n${output()}`);
    assert.match(output(), '/#/studio');

    let health = 0;
    while (health !== 200 && Date.now() < deadline) {
      health = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
      if (health !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.is(health, 200);

    const tree = descendants(child.pid!);
    assert.ok(tree.length >= 2, `expected the SFU workers as child processes, found ${tree.length}`);

    child.kill('SIGTERM');
    assert.is(await exited(child, 15_000), 0, output());
    // Give the kernel a moment to reap grandchildren re-parented to init.
    await new Promise((r) => setTimeout(r, 300));
    const survivors = tree.filter(alive);
    assert.equal(survivors, [], `processes left behind: ${survivors.join(', ')}`);
    assert.is(await fetch(`${url}/healthz`).then((r) => r.status, () => 0), 0, 'the port is closed');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

/**
 * The real npm path: npm runs `prestart` (the client build), then the start script; a terminal or a process
 * manager signals npm's pid, not node's. After `signal` to npm, every process of its tree (node main, the SFU
 * workers, coturn when it runs) is gone within a few seconds and the port is free.
 */
async function npmStartStopsOn(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const { npm, url, output } = await npmStart();
  let tree: number[] = [];
  try {
    const deadline = Date.now() + 120_000;
    assert.ok(url, `no URL printed:\n${output()}`);
    let health = 0;
    while (health !== 200 && Date.now() < deadline) {
      health = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
      if (health !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.is(health, 200);
    tree = descendants(npm.pid!);
    const commands = tree.map((pid) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; } });
    assert.ok(commands.some((c) => c.includes('signaling/main.ts')), `node signaling/main.ts is not in npm's tree: ${commands.join(' | ')}`);
    assert.ok(commands.filter((c) => c.includes('sfu/worker/main.ts')).length >= 2, `expected 2 SFU workers in npm's tree: ${commands.join(' | ')}`);

    process.kill(npm.pid!, signal);
    await exited(npm, 15_000);
    // Every process npm started (node main, SFU workers, coturn when it runs) is gone within a few seconds.
    const until = Date.now() + 5_000;
    let survivors = tree.filter(alive);
    while (survivors.length && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      survivors = tree.filter(alive);
    }
    const left = survivors.map((pid) => { try { return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`; } catch { return String(pid); } });
    assert.equal(left, [], `processes left behind after ${signal} to npm: ${left.join(' | ')}`);
    assert.is(await fetch(`${url}/healthz`).then((r) => r.status, () => 0), 0, 'the port is closed');
  } finally {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    for (const pid of tree) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

start('kill -TERM of the `npm start` process stops the whole tree within seconds and frees the port', () => npmStartStopsOn('SIGTERM'));

start('an `npm start` killed outright (SIGKILL) takes its tree down with it', () => npmStartStopsOn('SIGKILL'));

start('a bad variable exits with code 2 and names it', async () => {
  for (const [variable, value] of [['PORT', 'eighty'], ['REDIS_URL', 'localhost:6379'], ['PLATFORM_FEE_BPS', '5000']]) {
    const { child, output } = startEntry({ [variable!]: value! });
    assert.is(await exited(child, 30_000), 2, output());
    assert.match(output(), `${variable}: expected`);
  }
});

start.run();
