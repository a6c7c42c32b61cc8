/**
 * TURN for private calls on one machine, against the real coturn: the platform starts its own `turnserver` when
 * the operator set no TURN_URLS, its credentials make real relay allocations that relay between the two peers
 * (and nowhere else), it stops with the platform, even a killed one; without coturn the start says how to install
 * it and a private request is answered TURN_UNAVAILABLE at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestPlatform } from '../helpers/platform.ts';
import { turnCredentials } from '../../signaling/turn.ts';
import { TurnServer } from '../../signaling/turn-server.ts';
import type { Platform } from '../../signaling/platform.ts';
import { call, login, ok, sleep, startServer, testConfig } from './helpers.ts';
import { TurnClient, TurnRefused, type Address } from './turn-client.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pids of live `turnserver` processes whose parent is `ppid`. */
function turnChildren(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'turnserver' && parent === ppid && alive(Number(name))) out.push(Number(name));
    } catch { /* gone */ }
  }
  return out;
}

/** `node signaling/main.ts` as `npm start` runs it; resolves once it printed its banner. */
async function startEntry(env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CHAIN_PORT: '0', SFU_WORKERS: '1', LOG_LEVEL: 'warn', SERVE_CLIENT: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => { output += d; });
  child.stderr!.on('data', (d: Buffer) => { output += d; });
  const deadline = Date.now() + 60_000;
  while (!/Stop with Ctrl-C/.test(output) && child.exitCode === null && Date.now() < deadline) await sleep(100);
  assert.match(output, 'Stop with Ctrl-C', `no banner:\n${output}`);
  return { child, output: () => output };
}

const withCoturn = suite('TURN: the platform runs coturn when none is configured');
let platform: Platform;
withCoturn.before(async () => { platform = await startTestPlatform({ SERVE_CLIENT: 'false' }); });
withCoturn.after(async () => { await platform?.close(); });

withCoturn('signaling is wired to it, and its credentials make real allocations that relay peer to peer', async () => {
  const turn = platform.turn;
  assert.ok(turn, 'coturn was started');
  assert.ok(turn.running);
  const config = platform.signaling.config;
  assert.equal(config.TURN_URLS, turn.urls);
  assert.match(turn.urls[0]!, /^turn:127\.0\.0\.1:\d+\?transport=udp$/);
  assert.is(config.TURN_SECRET, turn.secret);
  assert.match(platform.banner(), `TURN:         ${turn.urls[0]}`);
  const server: Address = ['127.0.0.1', turn.port];
  const [ca, cb] = [turnCredentials(config.TURN_URLS, config.TURN_SECRET!, 600), turnCredentials(config.TURN_URLS, config.TURN_SECRET!, 600)];
  const a = await TurnClient.allocate(server, ca.username, ca.credential);
  const b = await TurnClient.allocate(server, cb.username, cb.credential);
  try {
    assert.is(a.relayed![0], '127.0.0.1');
    assert.is.not(a.relayed![1], b.relayed![1]);
    const received = new Promise<[string, Address]>((resolve) => { b.onData = (data, from) => resolve([data.toString(), from]); });
    await b.permit(a.relayed!);
    await a.permit(b.relayed!);
    a.send(Buffer.from('through the relay'), b.relayed!);
    assert.equal(await Promise.race([received, sleep(5_000).then(() => null)]), ['through the relay', a.relayed]);
    // Only the relay's own address is a permitted peer: it relays between calls' peers and nowhere else.
    const foreign = await a.permit(['127.0.0.2', 9]).then(() => 0, (err: unknown) => (err instanceof TurnRefused ? err.status : -1));
    assert.is(foreign, 403, 'a peer that is not a relay address of this server is refused');
  } finally {
    a.close();
    b.close();
  }
  const wrong = await TurnClient.allocate(server, ca.username, 'not-the-password').then((c) => { c.close(); return 0; }, (err: unknown) => (err instanceof TurnRefused ? err.status : -1));
  assert.is(wrong, 401, 'a wrong password gets no allocation');
  const expired = turnCredentials(config.TURN_URLS, config.TURN_SECRET!, 60, Date.now() - 120_000);
  const old = await TurnClient.allocate(server, expired.username, expired.credential).then((c) => { c.close(); return 0; }, (err: unknown) => (err instanceof TurnRefused ? err.status : -1));
  assert.is(old, 401, 'an expired credential gets no allocation');
});

withCoturn('it stops with the platform, files and all; close is idempotent', async () => {
  const turn = platform.turn!;
  const pid = turn.pid;
  assert.ok(alive(pid));
  await platform.close();
  await platform.close();
  await turn.close();
  assert.not.ok(alive(pid), 'coturn is gone');
  assert.not.ok(turn.running);
});

withCoturn('a fresh secret and port on every start', async () => {
  const binary = TurnServer.findBinary()!;
  const [one, two] = await Promise.all([TurnServer.start({ host: '127.0.0.1', binary }), TurnServer.start({ host: '127.0.0.1', binary })]);
  try {
    assert.is.not(one.secret, two.secret);
    assert.is.not(one.port, two.port);
    assert.ok(one.secret.length >= 40);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }
});

const entry = suite('TURN: npm start');

entry('coturn dies with a killed platform process (no orphan)', async () => {
  const { child, output } = await startEntry({});
  try {
    assert.match(output(), /TURN: {9}turn:127\.0\.0\.1:\d+/);
    const pids = turnChildren(child.pid!);
    assert.is(pids.length, 1, 'one coturn, a child of the platform');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const deadline = Date.now() + 5_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
    assert.equal(pids.filter(alive), [], 'coturn left behind');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

entry('without turnserver installed: the banner says how to install it', async () => {
  // A PATH without coturn (node is started by its absolute path).
  const { child, output } = await startEntry({ PATH: '/nonexistent' });
  try {
    assert.match(output(), 'Private shows are OFF');
    assert.match(output(), 'apt-get install coturn');
    assert.equal(turnChildren(child.pid!), []);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

const unavailable = suite('TURN: unavailable');

unavailable('a private request is answered TURN_UNAVAILABLE at once, before the model is asked', async () => {
  const run = await startServer({ config: testConfig({ TURN_URLS: '', TURN_SECRET: '' }) });
  try {
    const model = await login(run.url, 'model');
    const client = await login(run.url, 'client');
    await ok(model.socket, 'model:setPrice', { pricePerMinute: '1000', minMinutes: 1 });
    let asked = false;
    model.socket.on('private:request', () => { asked = true; });
    const r = await call(client.socket, 'private:request', { model: model.key, pricePerMinute: '1000', minMinutes: 1, channelId: '0x' + '11'.repeat(32) });
    assert.is(r.ok ? null : r.error.code, 'TURN_UNAVAILABLE');
    await sleep(200);
    assert.not.ok(asked);
    model.socket.close();
    client.socket.close();
  } finally {
    await run.server.close();
  }
});

withCoturn.run();
entry.run();
unavailable.run();
